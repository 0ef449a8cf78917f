"""Signatures: a known vector, the tolerance window, and real signed requests — a
WSGI app made with webhook_app answering a call run by `switchboard simulate`."""

import json
import subprocess
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from conftest import binary
from switchboard_voice import Document, Gather, SignatureError, verify_signature, webhook_app


def test_a_known_vector_and_the_tolerance_window():
    # HMAC-SHA256("secret", "1.body"), as the server's own tests have it.
    header = "t=1,v1=842b24d9575dee4b6ec460b7e3af7d683501d84fe6279102340787c79d2e2bab"
    verify_signature("secret", header, b"body", now=1)
    verify_signature(b"secret", header, b"body", now=301)
    with pytest.raises(SignatureError):
        verify_signature("secret", header, b"body", now=302)
    with pytest.raises(SignatureError):
        verify_signature("other", header, b"body", now=1)
    with pytest.raises(SignatureError):
        verify_signature("secret", header, b"bodx", now=1)
    for malformed in ["", "t=1", "v1=00", "t=x,v1=00"]:
        with pytest.raises(SignatureError):
            verify_signature("secret", malformed, b"body", now=1)


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def serve(app):
    httpd = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def simulate(url, *args):
    out = subprocess.run([binary(), "simulate", url, "--json", *args], capture_output=True, text=True, timeout=60)
    return out.returncode, [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def test_a_webhook_app_answers_a_simulated_call_with_verified_requests():
    seen = []

    def handler(path, call):
        seen.append((path, call.get("digits")))
        if path == "/voice":
            return Document().gather(Gather(num_digits=1, action="/menu").say("Press 1 for sales"))
        return Document().say(f"You pressed {call['digits']}").hangup()

    httpd = serve(webhook_app("whsec_sdk-test", handler))
    url = f"http://127.0.0.1:{httpd.server_port}/voice"
    try:
        code, steps = simulate(url, "--keys", "1", "--secret", "whsec_sdk-test")
        assert code == 0, steps
        said = [s["text"] for s in steps if s["step"] == "says"]
        assert said == ["Press 1 for sales", "You pressed 1"]
        assert seen == [("/voice", None), ("/menu", "1")]
        # Signed with another secret: refused with 401, and the call fails.
        code, steps = simulate(url, "--secret", "whsec_wrong")
        assert code == 1
        assert steps[-1]["status"] == "failed"
        assert len(seen) == 2, "the handler never ran for a bad signature"
    finally:
        httpd.shutdown()
