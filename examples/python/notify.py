#!/usr/bin/env python3
"""An outbound notification with Switchboard's Python SDK (sdk/python): call a number,
say a message, ask for a confirmation key, and report what the person pressed.

    SWITCHBOARD_URL=http://127.0.0.1:8080 SWITCHBOARD_KEY=key_id:secret \\
    PYTHONPATH=sdk/python examples/python/notify.py 58101 "Your order has shipped."

Options: --from 5000 (the caller ID shown), --listen 127.0.0.1:0 (where this script
takes the call's webhooks; port 0 picks a free one), --callback-url (how Switchboard
reaches that address, when it differs: behind NAT or in a container).

The call is placed with inline verbs (`POST /v1/calls`), so no application is needed:
its webhooks are signed with the secret of URL destinations, read from `GET /v1/apps`.
Prints one JSON line {"call_sid", "status", "key"}; exits 0 when a key was pressed, 1
when the call ended without one (busy, no answer, hung up, silence), 2 on an error
({"error", "message", "field"}: the API's refusal, or why the API could not be asked).
The key must be an admin key (`GET /v1/apps` is admin-only).
"""
import argparse
import json
import os
import sys
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from switchboard_voice import ApiError, Client, Document, Gather, webhook_app

#: Call statuses after which nothing more happens.
FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
#: The longest the script waits for the call to end, in seconds.
GIVE_UP_AFTER = 180


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("to", help="an extension, a number (through the routes) or a SIP URI")
    parser.add_argument("message", help="what the called person hears")
    parser.add_argument("--from", dest="caller_id", default="5000")
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--callback-url", default=None)
    args = parser.parse_args()
    client = Client(os.environ.get("SWITCHBOARD_URL", "http://127.0.0.1:8080"),
                    os.environ["SWITCHBOARD_KEY"])

    outcome = {"key": None, "status": None}
    ended = threading.Event()

    def answer(path, call):
        if path == "/key":  # the gather's result
            outcome["key"] = call.get("digits") or None
            return Document().say("Thank you. Goodbye.").hangup()
        if path == "/status" and (call.get("event") == "completed" or call.get("call_status") in FINAL):
            outcome["status"] = call.get("call_status")
            ended.set()
        return []  # status callbacks need no document

    host, _, port = args.listen.rpartition(":")
    secret = client.request("GET", "/v1/apps")["url_destinations_signing_secret"]
    server = make_server(host, int(port), webhook_app(secret, answer), handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = (args.callback_url or f"http://{host}:{server.server_port}").rstrip("/")

    confirm = Gather(num_digits=1, timeout=10, action=f"{base}/key")
    confirm.say("Press 1 to confirm, or 2 to be called back.")
    document = (Document().say(args.message).gather(confirm)
                .say("We did not get your answer. Goodbye.").hangup())
    call = client.calls.create({"from": args.caller_id, "to": args.to,
                                "verbs": document.to_list(),
                                "status_callback": f"{base}/status"})
    if not ended.wait(GIVE_UP_AFTER):
        try:  # no call left behind
            outcome["status"] = client.calls.post(call["sid"], {"status": "completed"})["status"]
        except ApiError:  # it ended meanwhile
            outcome["status"] = client.calls.get(call["sid"])["status"]
    print(json.dumps({"call_sid": call["sid"], "status": outcome["status"], "key": outcome["key"]}))
    return 0 if outcome["key"] else 1


def run() -> int:
    try:
        return main()
    except ApiError as e:
        print(json.dumps({"error": e.code, "message": e.message, "field": e.field}))
    except (OSError, KeyError, ValueError) as e:  # unreachable API, missing key, bad reply
        print(json.dumps({"error": type(e).__name__, "message": str(e), "field": None}))
    return 2


if __name__ == "__main__":
    sys.exit(run())
