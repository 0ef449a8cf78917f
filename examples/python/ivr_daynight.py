#!/usr/bin/env python3
"""The seed's day/night switch and IVR as a webhook app, with Switchboard's Python SDK
(sdk/python): what the built-in apps do, as your own code.

    PYTHONPATH=sdk/python examples/python/ivr_daynight.py <port> <signing secret> [<host>]

By day a call hears the menu (recording VoicemailCenter): 1 rings 58102, 3 repeats,
other keys are invalid (the third reaches 58106), silence repeats (the third hangs up).
By night the caller leaves a message. POST /toggle switches day and night; every other
request must carry a valid Switchboard-Signature (the SDK checks it, 401 otherwise).

Try it without a phone:
    switchboard simulate http://127.0.0.1:<port>/voice --secret <signing secret> --keys 1
"""
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

from switchboard_voice import Document, Gather, dial_extension, webhook_app

PORT, SECRET = int(sys.argv[1]), sys.argv[2]
HOST = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"  # 0.0.0.0 in a container
MODE = {"now": "day"}
MEMBERS = ["58102"]  # ring group 301
INVALID_DESTINATION = "58106"


def menu(timeouts, invalid, before=None):
    # The menu's counts travel in its URLs: the app keeps no state per call.
    state = f"{timeouts}/{invalid}"
    gather = Gather(num_digits=1, timeout=4, action=f"/choice/{state}")
    if before:
        gather.say(before)
    gather.play(recording="VoicemailCenter")
    return Document().gather(gather).redirect(url=f"/silence/{state}")


def ring(numbers):
    return Document().dial(*[dial_extension(n) for n in numbers], timeout=15)


def answer(path, call):
    parts = path.strip("/").split("/")  # /choice/<timeouts>/<invalid>
    path = "/" + parts[0]
    t, i = (int(parts[1]), int(parts[2])) if len(parts) == 3 else (0, 0)
    if path == "/voice" and MODE["now"] == "night":  # night: Pierre's mailbox
        return (Document().say("Pierre is not available. Leave a message after the tone.")
                .record(max_length=120, finish_on_key="#", action="/saved").hangup())
    if path == "/voice":  # day: the IVR
        return menu(0, 0)
    if path == "/choice":
        digits = call.get("digits", "")
        if digits == "1":
            return ring(MEMBERS)
        if digits == "3":
            return menu(0, 0)
        if i + 1 >= 3:
            return ring([INVALID_DESTINATION])
        return menu(t, i + 1, "That is not a valid choice.")
    if path == "/silence":
        return Document().hangup() if t + 1 >= 3 else menu(t + 1, i)
    return Document().say("Thank you. Goodbye.").hangup()


signed = webhook_app(SECRET, answer)


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/toggle":  # the admin's switch, not a webhook
        MODE["now"] = "night" if MODE["now"] == "day" else "day"
        body = ('{"mode": "%s"}' % MODE["now"]).encode()
        start_response("200 OK", [("content-type", "application/json"), ("content-length", str(len(body)))])
        return [body]
    return signed(environ, start_response)


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server(HOST, PORT, app, handler_class=Quiet).serve_forever()
