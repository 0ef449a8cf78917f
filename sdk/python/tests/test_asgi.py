"""asgi_webhook_app under a real ASGI server (uvicorn): requests signed as the server
signs them, a bad signature refused, calls run by `switchboard simulate` (POST and GET),
and a real server's voicemail event, signed with a rotated secret, whose audio_url the
client downloads."""

import hashlib
import hmac
import json
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import uvicorn

from conftest import binary
from switchboard_voice import Client, Document, Gather, asgi_webhook_app
from test_rest import leave_message, tone_wav

SECRET = "whsec_asgi-test"


@contextmanager
def serve(app):
    """The app under uvicorn on a free port, in a thread; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def sign(secret, payload, t=None):
    t = int(time.time()) if t is None else t
    tag = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={tag}"


def fetch(url, body=None, signature=None):
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    if signature:
        request.add_header("switchboard-signature", signature)
    if body is not None:
        request.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def menu(path, call):
    if path == "/voice":
        return Document().gather(Gather(num_digits=1, action="/menu").say("Press 1 for sales"))
    return Document().say(f"You pressed {call['digits']}").hangup()


def test_signed_requests_are_answered_and_bad_ones_refused():
    seen = []

    async def handler(path, call):  # an async handler
        seen.append((path, call))
        return [{"verb": "say", "text": f"Hello {call.get('from')}"}]

    with serve(asgi_webhook_app(SECRET, handler)) as base:
        body = json.dumps({"call_sid": "CA1", "from": "5000"}).encode()
        assert fetch(base + "/voice", body, sign(SECRET, body)) == (200, [{"verb": "say", "text": "Hello 5000"}])
        # A GET signs the full URL requested.
        url = base + "/voice?" + urllib.parse.urlencode({"call_sid": "CA2", "from": "+3225550100"})
        assert fetch(url, signature=sign(SECRET, url.encode()))[1][0]["text"] == "Hello +3225550100"
        assert seen == [("/voice", {"call_sid": "CA1", "from": "5000"}),
                        ("/voice", {"call_sid": "CA2", "from": "+3225550100"})]
        refused = [
            fetch(base + "/voice", body, sign("whsec_other", body)),            # another secret
            fetch(base + "/voice", body + b" ", sign(SECRET, body)),            # another body
            fetch(base + "/voice", body, sign(SECRET, body, t=int(time.time()) - 301)),  # too old
            fetch(base + "/voice", body),                                       # unsigned
            fetch(base + "/other?from=1", signature=sign(SECRET, url.encode())),  # another URL
        ]
        assert [status for status, _ in refused] == [401] * 5
        assert "does not match" in refused[0][1]["error"]
        assert len(seen) == 2, "the handler never ran for a bad signature"


def test_a_failing_handler_answers_500():
    def handler(path, call):
        raise RuntimeError("boom")

    with serve(asgi_webhook_app(SECRET, handler)) as base:
        body = b"{}"
        assert fetch(base + "/voice", body, sign(SECRET, body)) == (500, {"error": "boom"})


def simulate(url, *args):
    out = subprocess.run([binary(), "simulate", url, "--json", *args], capture_output=True, text=True, timeout=60)
    return out.returncode, [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def test_an_asgi_app_answers_a_simulated_call_by_post_and_by_get():
    with serve(asgi_webhook_app(SECRET, menu)) as base:
        for method in ["POST", "GET"]:
            code, steps = simulate(base + "/voice", "--secret", SECRET, "--keys", "1", "--method", method)
            assert code == 0, steps
            assert [s["text"] for s in steps if s["step"] == "says"] == ["Press 1 for sales", "You pressed 1"]
        code, steps = simulate(base + "/voice", "--secret", "whsec_wrong", "--keys", "1")
        assert code == 1
        assert steps[-1]["status"] == "failed"


def test_a_voicemail_event_is_verified_and_its_audio_downloaded(server):
    client = Client(server.url, server.key)
    events = []
    received = threading.Event()

    def status_callback(path, event):  # a plain function: run in a worker thread
        events.append((path, event))
        received.set()
        return []

    app = client.applications.create({"name": "Voicemail", "voice_url": "http://127.0.0.1:9/voice",
                                      "status_callback": "http://127.0.0.1:9/status"})
    # Only the new secret verifies: the event must be signed with the rotated one.
    secret = client.applications.rotate_secret(app["id"])["signing_secret"]
    with serve(asgi_webhook_app(secret, status_callback)) as base:
        client.applications.update(app["id"], {"status_callback": base + "/status"})
        client.extensions.create({"number": "58102", "name": "Pierre", "password": "Secret-58102-pw",
                                  "voicemail": {"enabled": True, "application_id": app["id"]}})
        recording = client.recordings.upload("Left", tone_wav(0.75, rate=8000, channels=1))
        leave_message(client, "58102", recording["id"], caller="58101")
        assert received.wait(20), "no voicemail event arrived"
    [(path, event)] = events
    assert path == "/status"
    assert (event["event"], event["mailbox"], event["caller_number"]) == ("voicemail", "58102", "58101")
    assert event["audio_url"] == f"/v1/voicemail/58102/messages/{event['message_id']}/audio"
    audio = client.download(event["audio_url"])
    assert audio == client.voicemail("58102").audio(event["message_id"])
    assert audio == client.recordings.audio(recording["id"])
