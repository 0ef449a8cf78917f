#!/usr/bin/env python3
"""Voicemail by webhook, with Switchboard's Python SDK (sdk/python): each message left
is announced to an application's status callback; this app checks the signature,
downloads the message's audio with an API key and saves it beside its details.

    SWITCHBOARD_URL=http://127.0.0.1:8080 SWITCHBOARD_KEY=key_id:secret \\
    PYTHONPATH=sdk/python examples/python/voicemail_receiver.py <port> <signing secret> <directory> [<host>]

Set it up: an application whose `status_callback` is this app (any path, e.g.
http://<host>:<port>/voicemail), named by the mailbox (`PATCH /v1/extensions/58102
{"voicemail": {"application_id": ...}}`). Each message becomes
<directory>/<mailbox>-<message id>.wav and .json (the event); <host> defaults to
127.0.0.1 (0.0.0.0 in a container).

Nothing is lost: an event is written to <directory>/pending/ before it is acknowledged
(until then Switchboard keeps retrying it), a worker downloads its audio and only then
removes it; events still pending when the app stops are taken up at its next start. An
event delivered twice is saved once.
"""
import json
import os
import queue
import sys
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, make_server

from switchboard_voice import Client, webhook_app

PORT, SECRET, DIRECTORY = int(sys.argv[1]), sys.argv[2], sys.argv[3]
HOST = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
PENDING_DIR = os.path.join(DIRECTORY, "pending")
CLIENT = Client(os.environ.get("SWITCHBOARD_URL", "http://127.0.0.1:8080"), os.environ["SWITCHBOARD_KEY"])
#: Seconds between download attempts: 2, doubling, at most 5 minutes; never given up.
FIRST_RETRY, LONGEST_RETRY = 2, 300
PENDING: "queue.Queue[str]" = queue.Queue()


def write_atomically(path: str, data: bytes) -> None:
    """Whole or not at all: a crash never leaves half a file under `path`."""
    temporary = path + ".part"
    with open(temporary, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def save(pending: str) -> None:
    """Downloads one pending message's audio, writes it and its details (the .json
    last: its presence says the message is complete), then forgets the pending event."""
    if not os.path.exists(pending):
        return  # delivered twice while queued: the first one saved it
    with open(pending) as f:
        event = json.load(f)
    stem = os.path.join(DIRECTORY, f"{event['mailbox']}-{event['message_id']}")
    delay = FIRST_RETRY
    while not os.path.exists(stem + ".json"):  # else: delivered twice, already saved
        try:
            write_atomically(stem + ".wav", CLIENT.download(event["audio_url"]))
            write_atomically(stem + ".json", json.dumps(event, indent=2).encode())
            print(f"message {event['message_id']} from {event['caller_number']} for "
                  f"{event['mailbox']}: {event['duration_ms']} ms saved", flush=True)
        except Exception as e:  # noqa: BLE001 - the server keeps the message; try again
            print(f"message {event['message_id']}: not saved ({e}); retrying in {delay} s", flush=True)
            time.sleep(delay)
            delay = min(delay * 2, LONGEST_RETRY)
    os.remove(pending)


def worker() -> None:
    while True:
        pending = PENDING.get()
        try:
            save(pending)
        except Exception as e:  # noqa: BLE001 - one unreadable event must not stop the others
            print(f"{pending}: {e}", flush=True)


def on_event(path, event):
    if event.get("event") == "voicemail":
        # Kept on disk before the 200: a crash from here on loses nothing.
        pending = os.path.join(PENDING_DIR, f"{event['mailbox']}-{event['message_id']}.json")
        write_atomically(pending, json.dumps(event).encode())
        PENDING.put(pending)
    return []  # events need no document


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


os.makedirs(PENDING_DIR, exist_ok=True)
for name in sorted(os.listdir(PENDING_DIR)):  # left by the previous run
    if name.endswith(".json"):
        PENDING.put(os.path.join(PENDING_DIR, name))
threading.Thread(target=worker, daemon=True).start()
server = make_server(HOST, PORT, webhook_app(SECRET, on_event), handler_class=Quiet)
print(f"listening on http://{HOST}:{PORT}", flush=True)
server.serve_forever()
