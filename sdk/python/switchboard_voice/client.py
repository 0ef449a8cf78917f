"""The REST API: `Client(base_url, "key_id:secret")`, one :class:`Resource` per
collection (`client.extensions.create({...})`, `client.numbers.list()`), calls placed and
steered with `client.calls`, audio uploaded (`client.recordings.upload`) and downloaded
(`client.download`), a mailbox's messages with `client.voicemail(mailbox)`. Idempotent requests (GET, PUT, DELETE) are retried on 429
and 5xx with a short back-off; every error answer becomes an :class:`ApiError`."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, BinaryIO, Dict, Iterator, List, Optional, Union

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
    (`key_id:secret`, sent as HTTP Basic).

    One attribute per collection (`extensions`, `recordings`, `applications`, `numbers`,
    `trunks`, `outbound_routes`, `api_keys`, `ring_groups`, `ivrs`, `daynight`,
    `time_conditions`, `queues`, `feature_codes`, `registrations`, `calls`), each a
    :class:`Resource`; some have extra methods (:class:`Recordings`, :class:`Extensions`,
    :class:`Applications`, :class:`DayNights`, :class:`TimeConditions`, :class:`Queues`).
    `feature_codes.update("daynight_toggle", {"code": "*48"})` changes a feature code;
    `registrations.list(extension="101")` and `registrations.delete(id)` the phones
    registered. A mailbox's messages are `voicemail(mailbox)`."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 10.0, retries: int = 2):
        self.base_url = base_url.rstrip("/")
        self._key_id, _, self._secret = api_key.partition(":")
        self._auth = "Basic " + base64.b64encode(api_key.encode()).decode()
        self.timeout = timeout
        self.retries = retries
        special = {
            "recordings": Recordings, "extensions": Extensions, "applications": Applications,
            "daynight": DayNights, "time-conditions": TimeConditions, "queues": Queues,
        }
        for name in (
            "extensions", "recordings", "applications", "numbers", "trunks",
            "outbound-routes", "api-keys", "ring-groups", "ivrs", "daynight",
            "time-conditions", "queues", "feature-codes", "registrations", "calls",
        ):
            kind = special.get(name, Resource)
            setattr(self, name.replace("-", "_"), kind(self, f"/v1/{name}"))

    def request(self, method: str, path: str, body: Any = None, query: Optional[Json] = None) -> Any:
        """Sends one request; returns the decoded JSON (None for 204). Raises
        :class:`ApiError` for an error answer."""
        data = None if body is None else json.dumps(body).encode()
        raw = self._send(method, path, data, "application/json", "application/json", query)
        return json.loads(raw) if raw else None

    def download(self, path: str) -> bytes:
        """The bytes at `path` (GET with the API key, retried like every GET): a
        recording's or a voicemail message's WAV. `path` is relative to the base URL, as
        the server gives it (`audio_url`, also in a voicemail event:
        `/v1/voicemail/58102/messages/VM…/audio`), or a full URL under the base URL.
        Raises :class:`ApiError` for an error answer."""
        if path.startswith(("http://", "https://")):
            if not path.startswith(self.base_url + "/"):
                raise ValueError(f"{path} is not on {self.base_url}: the API key is not sent elsewhere")
            path = path[len(self.base_url):]
        return self._send("GET", path, None, None, "*/*")

    def voicemail(self, mailbox: str) -> "Voicemail":
        """The messages of `mailbox` (an extension with voicemail):
        `list(folder="new")`, `get(id)`, `update(id, {"folder": "saved"})`, `delete(id)`,
        and `audio(id)`, the message's WAV."""
        return Voicemail(self, f"/v1/voicemail/{_quote(mailbox)}/messages")

    def apps(self) -> Json:
        """`GET /v1/apps`: the built-in apps' `base_url`, their `signing_secret`, the
        `url_destinations_signing_secret` and each app's `kind`, `url`, `description`."""
        return self.request("GET", "/v1/apps")

    def create_token(self, key_id: Optional[str] = None, secret: Optional[str] = None) -> Json:
        """`POST /v1/auth/token`: a short-lived bearer token (`access_token`,
        `token_type`, `expires_in`, `expires_at`) for an API key, by default this
        client's own."""
        body = {"key_id": self._key_id if key_id is None else key_id,
                "secret": self._secret if secret is None else secret}
        return self.request("POST", "/v1/auth/token", body)

    def _send(self, method: str, path: str, data: Optional[bytes], content_type: Optional[str],
              accept: str, query: Optional[Json] = None) -> bytes:
        """One request, retried on 429 and 5xx when idempotent; the answer's body."""
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        attempts = 1 + (self.retries if method in IDEMPOTENT else 0)
        for attempt in range(attempts):
            req = urllib.request.Request(url, data=data, method=method)
            req.add_header("authorization", self._auth)
            req.add_header("accept", accept)
            if data is not None and content_type:
                req.add_header("content-type", content_type)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return resp.read()
            except urllib.error.HTTPError as e:
                raw = e.read()
                retry = e.code == 429 or e.code >= 500
                if retry and attempt + 1 < attempts:
                    time.sleep(0.2 * 2**attempt)
                    continue
                raise _error(e.code, raw) from None
        raise AssertionError("unreachable")


def _quote(key: Any) -> str:
    return urllib.parse.quote(str(key), safe="")


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
        return f"{self.path}/{_quote(key)}"

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


class Item:
    """A single resource under an item (an extension's follow-me): get, replace (PUT),
    update (PATCH), delete."""

    def __init__(self, client: Client, path: str):
        self._client = client
        self.path = path

    def get(self) -> Json:
        return self._client.request("GET", self.path)

    def replace(self, body: Json) -> Json:
        return self._client.request("PUT", self.path, body)

    def update(self, body: Json) -> Json:
        return self._client.request("PATCH", self.path, body)

    def delete(self) -> None:
        self._client.request("DELETE", self.path)


class Recordings(Resource):
    """`/v1/recordings`, with uploads and downloads."""

    def upload(self, name: str, wav: Union[bytes, BinaryIO]) -> Json:
        """Stores a WAV file (bytes or a binary file object; PCM 8/16/24/32-bit or
        float, any rate, mono or stereo) as recording `name`, converted to 8 kHz mono
        16-bit; returns the recording. Sent as a raw `audio/wav` body with `?name=`."""
        data = wav if isinstance(wav, (bytes, bytearray, memoryview)) else wav.read()
        raw = self._client._send("POST", self.path, bytes(data), "audio/wav", "application/json",
                                 {"name": name})
        return json.loads(raw)

    def audio(self, key: str) -> bytes:
        """The recording's WAV (8 kHz mono 16-bit), by id."""
        return self._client.download(self._item(key) + "/audio")


class Voicemail(Resource):
    """A mailbox's messages (`client.voicemail("58102")`): list (`folder="new"`),
    get, update (`{"folder": "saved"}`), delete, and audio."""

    def audio(self, key: str) -> bytes:
        """The message's WAV."""
        return self._client.download(self._item(key) + "/audio")


class Extensions(Resource):
    """`/v1/extensions`, with each extension's follow-me."""

    def follow_me(self, number: str) -> Item:
        """The extension's follow-me: `get()`, `replace({...})` (PUT: creates or
        replaces), `update({...})` (PATCH), `delete()`."""
        return Item(self._client, self._item(number) + "/follow-me")


class Applications(Resource):
    """`/v1/applications`, with signing-secret rotation."""

    def rotate_secret(self, key: str) -> Json:
        """A new signing secret for the application (the old one stops working at
        once): the application with its `signing_secret`, given only here."""
        return self._client.request("POST", self._item(key) + "/signing-secret")


class DayNights(Resource):
    """`/v1/daynight`, with the toggle."""

    def toggle(self, index: Union[int, str]) -> Json:
        """Switches day/night `index` to the other mode at once; returns the switch."""
        return self._client.request("POST", self._item(index) + "/toggle")


class TimeConditions(Resource):
    """`/v1/time-conditions`, with overrides."""

    def override(self, key: str, state: Optional[str], permanent: bool = False) -> Json:
        """Forces `state` (`"match"` or `"no_match"`) until the schedule next changes
        (or for good with `permanent=True`); `state=None` removes the override. Returns
        the time condition (`override`, `state`)."""
        return self._client.request("POST", self._item(key) + "/override",
                                    {"state": state, "permanent": permanent})


class Queues(Resource):
    """`/v1/queues`, with agents, callers and statistics."""

    def agents(self, name: str) -> List[Json]:
        """The queue's members and what each is doing (`state`, `logged_in`, `paused`)."""
        return self._client.request("GET", self._item(name) + "/agents")["data"]

    def update_agent(self, name: str, member: str, body: Json) -> Json:
        """Logs a dynamic member in or out, pauses or unpauses a member
        (`{"logged_in": True}`, `{"paused": True, "pause_reason": "lunch"}`)."""
        return self._client.request("PATCH", f"{self._item(name)}/agents/{_quote(member)}", body)

    def callers(self, name: str) -> List[Json]:
        """The callers waiting in the queue now, first in line first."""
        return self._client.request("GET", self._item(name) + "/callers")["data"]

    def stats(self, name: str, since: Optional[str] = None) -> Json:
        """What happened to the callers who joined since `since` (RFC 3339; default the
        last 24 hours): `offered`, `answered`, `abandoned`, `service_level`…"""
        return self._client.request("GET", self._item(name) + "/stats", query={"since": since})
