"""Verb documents, built in code: `Document().say("Hello").gather(Gather(num_digits=1,
action="/menu").say("Press 1")).hangup()` serialises (`to_list()`, `to_json()`) to
exactly the contract's JSON (`VerbDocument` in `/openapi.json`). Optional fields are
left out unless given, so the server's defaults apply."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

Json = Dict[str, Any]


def _verb(verb_name: str, **fields: Any) -> Json:
    verb: Json = {"verb": verb_name}
    verb.update({k: v for k, v in fields.items() if v is not None})
    return verb


def dial_extension(number: str, **fields: Any) -> Json:
    """A `dial` target: every registered device of an extension."""
    return {"type": "extension", "number": number, **fields}


def dial_number(number: str, **fields: Any) -> Json:
    """A `dial` target: a number through the dial plan (an extension, else a route)."""
    return {"type": "number", "number": number, **fields}


def dial_sip(uri: str, **fields: Any) -> Json:
    """A `dial` target: a SIP URI."""
    return {"type": "sip", "uri": uri, **fields}


def dial_trunk(trunk: str, number: str, **fields: Any) -> Json:
    """A `dial` target: a number through one trunk, whatever the routes say."""
    return {"type": "trunk", "trunk": trunk, "number": number, **fields}


def dial_queue(queue: str) -> Json:
    """A `dial` target: the members of a queue."""
    return {"type": "queue", "queue": queue}


class Gather:
    """A `gather`: its settings, and its prompts added with `say`, `play` and `pause`."""

    def __init__(self, num_digits: Optional[int] = None, action: Optional[str] = None,
                 timeout: Optional[int] = None, finish_on_key: Optional[str] = None, **fields: Any):
        self.fields = dict(num_digits=num_digits, action=action, timeout=timeout,
                           finish_on_key=finish_on_key, **fields)
        self.prompts: List[Json] = []

    def say(self, text: str, language: Optional[str] = None, voice: Optional[str] = None,
            loop: Optional[int] = None) -> "Gather":
        self.prompts.append(_verb("say", text=text, language=language, voice=voice, loop=loop))
        return self

    def play(self, recording: Optional[str] = None, url: Optional[str] = None,
             loop: Optional[int] = None) -> "Gather":
        self.prompts.append(_verb("play", recording=recording, url=url, loop=loop))
        return self

    def pause(self, length: int) -> "Gather":
        self.prompts.append(_verb("pause", length=length))
        return self

    def to_dict(self) -> Json:
        return _verb("gather", prompts=self.prompts or None, **self.fields)


class Document:
    """A verb document: each method appends a verb and returns the document."""

    def __init__(self) -> None:
        self.verbs: List[Json] = []

    def _add(self, verb: Json) -> "Document":
        self.verbs.append(verb)
        return self

    def say(self, text: str, language: Optional[str] = None, loop: Optional[int] = None,
            voice: Optional[str] = None) -> "Document":
        return self._add(_verb("say", text=text, language=language, loop=loop, voice=voice))

    def play(self, recording: Optional[str] = None, url: Optional[str] = None,
             loop: Optional[int] = None) -> "Document":
        return self._add(_verb("play", recording=recording, url=url, loop=loop))

    def pause(self, length: int) -> "Document":
        return self._add(_verb("pause", length=length))

    def gather(self, gather: Gather) -> "Document":
        return self._add(gather.to_dict())

    def dial(self, *targets: Json, timeout: Optional[int] = None, action: Optional[str] = None,
             **fields: Any) -> "Document":
        return self._add(_verb("dial", targets=list(targets), timeout=timeout, action=action, **fields))

    def record(self, max_length: Optional[int] = None, action: Optional[str] = None,
               finish_on_key: Optional[str] = None, **fields: Any) -> "Document":
        return self._add(_verb("record", max_length=max_length, action=action,
                               finish_on_key=finish_on_key, **fields))

    def redirect(self, url: Optional[str] = None, destination: Optional[str] = None) -> "Document":
        return self._add(_verb("redirect", url=url, destination=destination))

    def enqueue(self, queue: str, wait_url: Optional[str] = None,
                action: Optional[str] = None) -> "Document":
        return self._add(_verb("enqueue", queue=queue, wait_url=wait_url, action=action))

    def leave(self) -> "Document":
        """Leave the queue the caller waits in (in a `wait_url` document)."""
        return self._add(_verb("leave"))

    def reject(self, reason: Optional[str] = None) -> "Document":
        return self._add(_verb("reject", reason=reason))

    def hangup(self) -> "Document":
        return self._add(_verb("hangup"))

    def to_list(self) -> List[Json]:
        return list(self.verbs)

    def to_json(self) -> str:
        return json.dumps(self.verbs)
