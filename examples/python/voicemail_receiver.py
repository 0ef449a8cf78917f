#!/usr/bin/env python3
"""Voicemail by webhook, with Switchboard's Python SDK (sdk/python): each message left
is announced to an application's status callback; this app checks the signature,
downloads the message's audio with an API key and saves it beside its details.

    SWITCHBOARD_URL=http://127.0.0.1:8080 SWITCHBOARD_KEY=key_id:secret \\
    PYTHONPATH=sdk/python examples/python/voicemail_receiver.py <port> <signing secret> <directory>

Set it up: an application whose `status_callback` is http://<this host>:<port>/voicemail,
named by the mailbox (`PATCH /v1/extensions/58102 {"voicemail": {"application_id": ...}}`).
Each message becomes <directory>/<mailbox>-<message id>.wav and .json (the event).

Nothing is lost: the webhook is answered at once and the audio fetched by a worker,
which retries (the message stays on the server until then); an event delivered twice
(Switchboard retries until it gets a 2xx) is saved once.
"""
import json
import os
import queue
import sys
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, make_server

from switchboard_voice import ApiError, Client, webhook_app

PORT, SECRET, DIRECTORY = int(sys.argv[1]), sys.argv[2], sys.argv[3]
HOST = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
CLIENT = Client(os.environ.get("SWITCHBOARD_URL", "http://127.0.0.1:8080"), os.environ["SWITCHBOARD_KEY"])
#: Download attempts per message, 2 s apart, doubling.
ATTEMPTS = 6
PENDING: "queue.Queue[dict]" = queue.Queue()


def save(event: dict) -> None:
    """Downloads one message's audio; the .json is written last, so its presence says
    the message is complete."""
    stem = os.path.join(DIRECTORY, f"{event['mailbox']}-{event['message_id']}")
    if os.path.exists(stem + ".json"):
        return  # delivered twice
    for attempt in range(ATTEMPTS):
        try:
            audio = CLIENT.download(event["audio_url"])
            break
        except (ApiError, OSError) as e:
            print(f"message {event['message_id']}: download failed ({e}), retrying", flush=True)
            time.sleep(2 * 2**attempt)
    else:
        print(f"message {event['message_id']}: gave up; it is still on the server", flush=True)
        return
    with open(stem + ".wav", "wb") as f:
        f.write(audio)
    with open(stem + ".json", "w") as f:
        json.dump(event, f, indent=2)
    print(f"message {event['message_id']} from {event['caller_number']} for "
          f"{event['mailbox']}: {event['duration_ms']} ms saved", flush=True)


def worker() -> None:
    while True:
        save(PENDING.get())


def on_event(path, event):
    if path == "/voicemail" and event.get("event") == "voicemail":
        PENDING.put(event)
    return []  # events need no document


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


os.makedirs(DIRECTORY, exist_ok=True)
threading.Thread(target=worker, daemon=True).start()
make_server(HOST, PORT, webhook_app(SECRET, on_event), handler_class=Quiet).serve_forever()
