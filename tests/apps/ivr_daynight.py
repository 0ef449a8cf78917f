#!/usr/bin/env python3
"""The seed's day/night switch and IVR written as a user's webhook app, with nothing but
the standard library: what Switchboard's built-in apps do, in about 80 lines.

    ivr_daynight.py <port> <signing secret>

POST /toggle switches day and night. Every other request must carry a valid
Switchboard-Signature (HMAC-SHA256 of "<t>.<body>" with the application's secret)."""
import hashlib, hmac, json, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

PORT, SECRET = int(sys.argv[1]), sys.argv[2].encode()
MODE = {"now": "day"}
MEMBERS = ["58102"]  # ring group 301
INVALID_DESTINATION = "58106"


def signed(header, body):
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if abs(time.time() - int(parts.get("t", "0"))) > 300:
        return False
    mac = hmac.new(SECRET, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts.get("v1", ""))


def menu(timeouts, invalid, before=None):
    prompts = ([before] if before else []) + [{"verb": "play", "recording": "VoicemailCenter"}]
    state = f"t={timeouts}&i={invalid}"
    return [
        {"verb": "gather", "num_digits": 1, "timeout": 4, "action": f"/choice?{state}", "prompts": prompts},
        {"verb": "redirect", "url": f"/silence?{state}"},
    ]


def ring(numbers):
    return [{"verb": "dial", "timeout": 15, "targets": [{"type": "extension", "number": n} for n in numbers]}]


def answer(path, query, call):
    t, i = int(query.get("t", ["0"])[0]), int(query.get("i", ["0"])[0])
    if path == "/voice" and MODE["now"] == "night":  # night: Pierre's mailbox
        return [{"verb": "say", "text": "Pierre is not available. Leave a message after the tone."},
                {"verb": "record", "max_length": 120, "finish_on_key": "#", "action": "/saved"},
                {"verb": "hangup"}]
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
        return menu(t, i + 1, {"verb": "say", "text": "That is not a valid choice."})
    if path == "/silence":
        return [{"verb": "hangup"}] if t + 1 >= 3 else menu(t + 1, i)
    return [{"verb": "say", "text": "Thank you. Goodbye."}, {"verb": "hangup"}]


class App(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        url = urlparse(self.path)
        if url.path == "/toggle":
            MODE["now"] = "night" if MODE["now"] == "day" else "day"
            return self.reply(200, {"mode": MODE["now"]})
        if not signed(self.headers.get("Switchboard-Signature", ""), body):
            return self.reply(401, {"error": "bad signature"})
        self.reply(200, answer(url.path, parse_qs(url.query), json.loads(body or b"{}")))

    def reply(self, status, document):
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", PORT), App).serve_forever()
