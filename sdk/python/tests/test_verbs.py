"""The document builders produce what the server accepts: each document is handed to
the Calls API (which checks it as it checks a webhook's answer) — a contract change the
builders miss fails here."""

import pytest

from switchboard_voice import ApiError, Client, Document, Gather, dial_extension, dial_number, dial_sip


def documents():
    yield Document().say("Hello").pause(1).play(recording="welcome").hangup()
    yield Document().gather(Gather(num_digits=1, action="/menu", timeout=5).say("Press 1").play(url="http://x.example/a.wav"))
    yield Document().dial(dial_extension("101"), dial_number("0032123456"), dial_sip("sip:a@b.example"),
                          timeout=20, action="/after")
    yield Document().record(max_length=60, action="/saved", finish_on_key="#")
    yield Document().redirect(destination="ivr:Main").redirect(url="/next")
    yield Document().enqueue("support").reject("busy")


@pytest.mark.parametrize("document", list(documents()))
def test_every_builder_makes_a_document_the_server_accepts(server, document):
    client = Client(server.url, server.key)
    client.extensions.create({"number": "101", "name": "A", "password": "Secret-101-pw"})
    call = client.calls.create({"from": "5000", "to": "101", "verbs": document.to_list()})
    assert call["sid"].startswith("CA")


def test_a_bad_document_is_refused_naming_the_verb_and_field(server):
    client = Client(server.url, server.key)
    client.extensions.create({"number": "101", "name": "A", "password": "Secret-101-pw"})
    bad = Document().say("ok").gather(Gather(num_digits=0))
    with pytest.raises(ApiError) as refused:
        client.calls.create({"from": "5000", "to": "101", "verbs": bad.to_list()})
    assert refused.value.field == "verbs[1].num_digits"
