"""Switchboard's Python SDK, standard library only.

- :class:`Client`: the REST API (`/v1`), one attribute per resource, lists as iterators
  over every page, errors as :class:`ApiError` carrying the server's `code`, `message`
  and `field`.
- :class:`Document` and the verb builders: verb documents as the contract has them.
- :func:`verify_signature` and :func:`webhook_app`: check a webhook's
  `Switchboard-Signature` and answer calls from a WSGI application.
"""

from .client import ApiError, Client, Resource
from .verbs import Document, Gather, dial_extension, dial_number, dial_sip
from .webhook import SignatureError, verify_signature, webhook_app

__all__ = [
    "ApiError",
    "Client",
    "Document",
    "Gather",
    "Resource",
    "SignatureError",
    "dial_extension",
    "dial_number",
    "dial_sip",
    "verify_signature",
    "webhook_app",
]
