"""The REST API: `Client(base_url, "key_id:secret")`, one :class:`Resource` per
collection (`client.extensions.create({...})`, `client.numbers.list()`), calls placed and
steered with `client.calls`. Idempotent requests (GET, PUT, DELETE) are retried on 429
and 5xx with a short back-off; every error answer becomes an :class:`ApiError`."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterator, Optional

Json = Dict[str, Any]

#: Methods retried on 429 and 5xx (repeating them changes nothing).
IDEMPOTENT = {"GET", "PUT", "DELETE", "HEAD"}


class ApiError(Exception):
    """An error answer: its HTTP status and the body's `code`, `message`, `field`."""

    def __init__(self, status: int, code: str, message: str, field: Optional[str] = None):
        super().__init__(f"{status} {code}: {message}" + (f" ({field})" if field else ""))
        self.status = status
        self.code = code
        self.message = message
        self.field = field


class Client:
    """A Switchboard server's REST API, authenticated with an API key
    (`key_id:secret`, sent as HTTP Basic)."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 10.0, retries: int = 2):
        self.base_url = base_url.rstrip("/")
        self._auth = "Basic " + base64.b64encode(api_key.encode()).decode()
        self.timeout = timeout
        self.retries = retries
        for name in (
            "extensions", "recordings", "applications", "numbers", "trunks",
            "outbound-routes", "api-keys", "ring-groups", "ivrs", "daynight",
            "time-conditions", "queues", "feature-codes", "registrations", "calls",
        ):
            setattr(self, name.replace("-", "_"), Resource(self, f"/v1/{name}"))

    def request(self, method: str, path: str, body: Any = None, query: Optional[Json] = None) -> Any:
        """Sends one request; returns the decoded JSON (None for 204). Raises
        :class:`ApiError` for an error answer."""
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = None if body is None else json.dumps(body).encode()
        attempts = 1 + (self.retries if method in IDEMPOTENT else 0)
        for attempt in range(attempts):
            req = urllib.request.Request(url, data=data, method=method)
            req.add_header("authorization", self._auth)
            req.add_header("accept", "application/json")
            if data is not None:
                req.add_header("content-type", "application/json")
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    raw = resp.read()
                    return json.loads(raw) if raw else None
            except urllib.error.HTTPError as e:
                raw = e.read()
                retry = e.code == 429 or e.code >= 500
                if retry and attempt + 1 < attempts:
                    time.sleep(0.2 * 2**attempt)
                    continue
                raise _error(e.code, raw) from None
        raise AssertionError("unreachable")


def _error(status: int, raw: bytes) -> ApiError:
    try:
        err = json.loads(raw)["error"]
        return ApiError(status, err.get("code", "error"), err.get("message", ""), err.get("field"))
    except (ValueError, KeyError, TypeError):
        return ApiError(status, "error", raw.decode(errors="replace"))


class Resource:
    """One REST collection (`/v1/extensions`): create, get, update (PATCH), replace
    (PUT), delete, and list as an iterator over every page."""

    def __init__(self, client: Client, path: str):
        self._client = client
        self.path = path

    def _item(self, key: str) -> str:
        return f"{self.path}/{urllib.parse.quote(str(key), safe='')}"

    def create(self, body: Json) -> Json:
        return self._client.request("POST", self.path, body)

    def get(self, key: str) -> Json:
        return self._client.request("GET", self._item(key))

    def update(self, key: str, body: Json) -> Json:
        return self._client.request("PATCH", self._item(key), body)

    def replace(self, key: str, body: Json) -> Json:
        return self._client.request("PUT", self._item(key), body)

    def delete(self, key: str) -> None:
        self._client.request("DELETE", self._item(key))

    def post(self, key: str, body: Json) -> Json:
        """POST to an item (`calls.post(sid, {"status": "completed"})`)."""
        return self._client.request("POST", self._item(key), body)

    def list(self, page_size: int = 100, **filters: Any) -> Iterator[Json]:
        """Every item, page after page (the server's `next_cursor`)."""
        cursor = None
        while True:
            page = self._client.request(
                "GET", self.path, query={"limit": page_size, "cursor": cursor, **filters}
            )
            yield from page["data"]
            cursor = page.get("next_cursor")
            if not cursor:
                return
