#!/usr/bin/env python3
"""Prints, as JSON, a verb document built with the Python SDK using every verb and
every option it offers (for check.py)."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from switchboard_voice import (  # noqa: E402
    Document, Gather, dial_extension, dial_number, dial_queue, dial_sip, dial_trunk)

confirm = {"key": "1", "timeout": 10, "prompt": {"say": "Press 1 to take the call.", "language": "en"}}
confirm_recording = {"prompt": {"recording": "take-the-call"}}
menu = (Gather(num_digits=1, action="/menu", timeout=5, finish_on_key="#", input=["dtmf"],
               inter_digit_timeout=3)
        .say("Welcome", language="en", voice="en-us", loop=1)
        .play(recording="menu", loop=2)
        .play(url="/audio/menu.wav")
        .pause(1))
document = (
    Document()
    .say("Hello", language="en", voice="en-us", loop=2)
    .play(recording="welcome", loop=1)
    .play(url="https://example.com/hello.wav")
    .pause(2)
    .gather(menu)
    .dial(dial_extension("101", confirm=confirm),
          dial_number("0612345678", confirm=confirm_recording),
          dial_sip("sip:alice@example.com", confirm=confirm),
          dial_trunk("provider", "003222", confirm=confirm),
          timeout=20, action="/after", strategy="hunt", caller_id="5000", caller_name="Reception",
          answer_on_bridge=True, record=True, time_limit=3600)
    .dial(dial_extension("102"), ringback={"recording": "ringing"})
    .dial(dial_extension("103"), ringback={"url": "/ringing.wav"})
    .dial(dial_queue("support"))
    .record(max_length=60, action="/saved", finish_on_key="#", timeout=5, play_beep=True,
            recording_status_callback="/recorded")
    .enqueue("support", wait_url="/hold", action="/left")
    .leave()
    .redirect(url="/next")
    .redirect(destination="ivr:Main")
    .reject("busy")
    .hangup()
)
json.dump(document.to_list(), sys.stdout)
