"""Webhooks from Switchboard: `Switchboard-Signature: t=<unix>,v1=<hex>` is
HMAC-SHA256 with the application's signing secret over `t + "." + body` (for a GET, the
full URL requested instead of the body). :func:`verify_signature` checks it within a
tolerance window; :func:`webhook_app` is a WSGI application that verifies each request
and answers with the document a handler returns."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Union
from urllib.parse import parse_qsl

from .verbs import Document

#: Seconds a signature stays valid either side of now.
DEFAULT_TOLERANCE = 300


class SignatureError(Exception):
    """Why a webhook's signature was refused."""


def verify_signature(secret: Union[str, bytes], header: str, body: bytes,
                     tolerance: int = DEFAULT_TOLERANCE, now: Optional[float] = None) -> None:
    """Raises :class:`SignatureError` unless `header` signs `body` with `secret`, made
    within `tolerance` seconds of `now`."""
    key = secret.encode() if isinstance(secret, str) else secret
    timestamp, tags = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            tags.append(value)
    if timestamp is None or not tags:
        raise SignatureError("malformed signature header (expected t=<unix>,v1=<hex>)")
    age = abs((time.time() if now is None else now) - timestamp)
    if age > tolerance:
        raise SignatureError(f"the signature is {age:.0f} s old, beyond the {tolerance} s tolerance")
    expected = hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, tag) for tag in tags):
        raise SignatureError("the signature does not match")


Handler = Callable[[str, Dict[str, Any]], Union[Document, List[Dict[str, Any]]]]


def webhook_app(secret: str, handler: Handler, tolerance: int = DEFAULT_TOLERANCE):
    """A WSGI application: each request's signature is verified (401 otherwise), its
    call fields (JSON body of a POST, query of a GET) go to `handler(path, fields)`,
    whose document is the answer."""

    def app(environ: Dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "POST")
        path = environ.get("PATH_INFO", "/")
        query = environ.get("QUERY_STRING", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        header = environ.get("HTTP_SWITCHBOARD_SIGNATURE", "")
        if method == "GET":
            host = environ.get("HTTP_HOST", "")
            signed = f"{environ.get('wsgi.url_scheme', 'http')}://{host}{path}" + (f"?{query}" if query else "")
            signed_bytes = signed.encode()
        else:
            signed_bytes = body
        try:
            verify_signature(secret, header, signed_bytes, tolerance)
        except SignatureError as e:
            return _reply(start_response, "401 Unauthorized", {"error": str(e)})
        if method == "GET":
            fields: Dict[str, Any] = dict(parse_qsl(query))
        else:
            fields = json.loads(body or b"{}")
        document = handler(path, fields)
        verbs = document.to_list() if isinstance(document, Document) else document
        return _reply(start_response, "200 OK", verbs)

    return app


def _reply(start_response: Callable, status: str, value: Any) -> Iterable[bytes]:
    data = json.dumps(value).encode()
    start_response(status, [("content-type", "application/json"), ("content-length", str(len(data)))])
    return [data]
