"""Switchboard's Python SDK, standard library only.

- :class:`Client`: the REST API (`/v1`), one attribute per resource, lists as iterators
  over every page, errors as :class:`ApiError` carrying the server's `code`, `message`
  and `field`.
- :class:`Document` and the verb builders: verb documents as the contract has them.
- :func:`verify_signature`, :func:`webhook_app` and :func:`asgi_webhook_app`: check a
  webhook's `Switchboard-Signature` and answer calls from a WSGI or ASGI application.
"""

from .client import (
    ApiError, Applications, Client, DayNights, Extensions, Item, Queues, Recordings, Resource,
    TimeConditions, Voicemail,
)
from .verbs import Document, Gather, dial_extension, dial_number, dial_queue, dial_sip, dial_trunk
from .webhook import SignatureError, asgi_webhook_app, verify_signature, webhook_app

__all__ = [
    "ApiError",
    "Applications",
    "Client",
    "DayNights",
    "Document",
    "Extensions",
    "Gather",
    "Item",
    "Queues",
    "Recordings",
    "Resource",
    "SignatureError",
    "TimeConditions",
    "Voicemail",
    "asgi_webhook_app",
    "dial_extension",
    "dial_number",
    "dial_queue",
    "dial_sip",
    "dial_trunk",
    "verify_signature",
    "webhook_app",
]
