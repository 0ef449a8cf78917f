"""Webhooks from Switchboard: `Switchboard-Signature: t=<unix>,v1=<hex>` is
HMAC-SHA256 with the application's signing secret over `t + "." + body` (for a GET, the
full URL requested instead of the body). :func:`verify_signature` checks it within a
tolerance window; :func:`webhook_app` (WSGI) and :func:`asgi_webhook_app` (ASGI 3) are
applications that verify each request and answer with the document a handler returns."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import hmac
import json
import time
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Union
from urllib.parse import parse_qsl, quote

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
#: A handler for :func:`asgi_webhook_app`: a plain function, or one returning an awaitable.
AsyncHandler = Callable[[str, Dict[str, Any]], Union[Document, List[Dict[str, Any]],
                                                     Awaitable[Union[Document, List[Dict[str, Any]]]]]]


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
            # The URL as requested: the raw target when the server keeps it, else the
            # mount point and path re-encoded (as the ASGI twin uses `raw_path`).
            host = environ.get("HTTP_HOST", "")
            target = environ.get("REQUEST_URI") or environ.get("RAW_URI")
            if not target:
                target = quote(environ.get("SCRIPT_NAME", "") + path) + (f"?{query}" if query else "")
            signed = f"{environ.get('wsgi.url_scheme', 'http')}://{host}{target}"
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


def asgi_webhook_app(secret: str, handler: AsyncHandler, tolerance: int = DEFAULT_TOLERANCE):
    """An ASGI 3 application (uvicorn, hypercorn, or mounted in Starlette/FastAPI), the
    twin of :func:`webhook_app`: each request's signature is verified (401 otherwise) —
    a POST's body, a GET's full URL as requested — and its call fields (JSON body of a
    POST, query of a GET) go to `handler(path, fields)`, whose document is the answer.
    The handler may be `async def`; a plain function runs in a worker thread so it never
    blocks the event loop. Lifespan events are acknowledged."""

    async def app(scope: Dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            raise ValueError(f"asgi_webhook_app answers HTTP only, not {scope['type']}")
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        method = scope.get("method", "POST")
        path = scope.get("path", "/")
        query = scope.get("query_string", b"").decode("latin-1")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if method == "GET":
            raw_path = scope.get("raw_path")
            target = raw_path.decode("latin-1") if raw_path else quote(path)
            host = headers.get("host") or _server_host(scope)
            signed = f"{scope.get('scheme', 'http')}://{host}{target}" + (f"?{query}" if query else "")
            signed_bytes = signed.encode()
        else:
            signed_bytes = body
        try:
            verify_signature(secret, headers.get("switchboard-signature", ""), signed_bytes, tolerance)
        except SignatureError as e:
            return await _asgi_reply(send, 401, {"error": str(e)})
        try:
            fields: Dict[str, Any] = dict(parse_qsl(query)) if method == "GET" else json.loads(body or b"{}")
        except ValueError as e:
            return await _asgi_reply(send, 400, {"error": f"the body is not JSON: {e}"})
        try:
            if inspect.iscoroutinefunction(handler):
                document = await handler(path, fields)
            else:
                document = await asyncio.get_running_loop().run_in_executor(None, handler, path, fields)
                if inspect.isawaitable(document):
                    document = await document
        except Exception as e:
            # Answered, then raised for the server to log.
            await _asgi_reply(send, 500, {"error": str(e)})
            raise
        verbs = document.to_list() if isinstance(document, Document) else document
        await _asgi_reply(send, 200, verbs)

    return app


def _server_host(scope: Dict[str, Any]) -> str:
    server = scope.get("server")
    if not server:
        return ""
    host, port = server
    default = 443 if scope.get("scheme") == "https" else 80
    return host if port in (None, default) else f"{host}:{port}"


async def _asgi_reply(send: Callable, status: int, value: Any) -> None:
    data = json.dumps(value).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


def _reply(start_response: Callable, status: str, value: Any) -> Iterable[bytes]:
    data = json.dumps(value).encode()
    start_response(status, [("content-type", "application/json"), ("content-length", str(len(data)))])
    return [data]
