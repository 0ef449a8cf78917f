#!/usr/bin/env python3
"""Writes fuzz/seeds/<target>/ from real inputs in this repository: the SIP messages of
the SIPp scenarios (tests/sipp, placeholders filled in), their SDP bodies, the verb
documents the SDK agreement tests build, dial patterns and destinations the tests use,
digest credentials as phones send them, small WAV files and RFC 4733 events.
Run it from the repository's root after changing those; the seeds are committed."""

import glob
import json
import os
import re
import struct
import subprocess

SEEDS = "fuzz/seeds"

FILL = {
    "service": "102", "remote_ip": "192.0.2.10", "remote_port": "5060", "transport": "UDP",
    "local_ip": "192.0.2.20", "local_port": "5070", "branch": "z9hG4bK-seed-1",
    "call_id": "seed-1@192.0.2.20", "pid": "4242", "call_number": "1", "caller": "101",
    "len": "0", "local_ip_type": "4", "media_ip_type": "4", "media_ip": "192.0.2.20",
    "media_port": "6000", "expires": "300", "phone_port": "5072", "hop_port": "5074",
    "authentication": 'Authorization: Digest username="101", realm="switchboard", '
        'nonce="1764000000.abcdef", uri="sip:192.0.2.10", response="0123456789abcdef0123456789abcdef", '
        'algorithm=MD5, qop=auth, nc=00000001, cnonce="c0ffee"',
}


def write(target, name, data):
    os.makedirs(f"{SEEDS}/{target}", exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(f"{SEEDS}/{target}/{name}", "wb") as f:
        f.write(data)


def sip_messages():
    """Every request a SIPp scenario sends, as it goes on the wire."""
    for path in sorted(glob.glob("tests/sipp/*.xml")):
        text = open(path).read()
        for i, block in enumerate(re.findall(r"<send[^>]*><!\[CDATA\[(.*?)\]\]></send>", text, re.S)):
            message = block.strip("\n")
            if message.startswith("SIP/2.0"):
                continue
            for key, value in FILL.items():
                message = message.replace(f"[{key}]", value)
            message = re.sub(r"\[last_[^\]]*\]", "", message)
            head, _, body = message.partition("\n\n")
            body = body.replace("\n", "\r\n")
            head = head.replace("Content-Length: 0", f"Content-Length: {len(body)}")
            yield os.path.basename(path)[:-4], i, head.replace("\n", "\r\n") + "\r\n\r\n" + body, body


def main():
    for name, i, message, body in sip_messages():
        write("sip_request", f"{name}_{i}.sip", message)
        if body.startswith("v="):
            write("sdp", f"{name}_{i}.sdp", body)
    write("digest", "md5_qop", FILL["authentication"].split(": ", 1)[1])
    write("digest", "sha256", 'Digest username="102",realm="switchboard",nonce="n",uri="sip:x",'
          'response="' + "0" * 64 + '",algorithm=SHA-256')
    write("digest", "no_qop", 'Digest username="101", realm="switchboard", nonce="n", uri="sip:x", response="00"')
    for i, document in enumerate(agreement_documents()):
        write("verb_document", f"agreement_{i}.json", json.dumps(document))
    write("verb_document", "play_gather", json.dumps([
        {"verb": "play", "url": "https://example.com/hello.wav"},
        {"verb": "gather", "input": ["dtmf"], "num_digits": 1, "action": "/menu"}]))
    for i, (base, ref) in enumerate([
            ("https://app.example.com/voice", "/ivr/menu"),
            ("https://app.example.com/a/b?x=1", "../c#frag"),
            ("http://[2001:db8::1]:8080/v", "https://other.example.com/x"),
            ("", "relative/without/base")]):
        write("webhook_url", f"url_{i}", f"{base}\n{ref}")
    for i, (pattern, number) in enumerate([
            ("XXX", "101"), ("0[1-9]XXXXXXX.", "0221234567"), (".", "1"),
            ("NXXNXXXXXX", "2125551234"), ("ivr:Main", ""), ("extension:101", ""),
            ("queue:support", ""), ("X.X", "12")]):
        write("dial_pattern", f"pattern_{i}", f"{pattern}\n{number}")
    for i, args in enumerate([
            ["-r", "8000", "-c", "1", "-b", "16"], ["-r", "16000", "-c", "2", "-b", "16"],
            ["-r", "44100", "-c", "1", "-b", "8"], ["-r", "8000", "-c", "1", "-e", "u-law"]]):
        out = f"{SEEDS}/wav_upload/tone_{i}.wav"
        os.makedirs(os.path.dirname(out), exist_ok=True)
        subprocess.run(["sox", "-n", *args, out, "synth", "0.02", "sine", "440"], check=True)
    events = b"".join(struct.pack(">IB", 8000 * n, 4) + bytes([key, 0x0a, 0x00, 0xa0])
                      for n, key in enumerate([1, 1, 11, 5]))
    write("rfc4733", "keys", events)


def agreement_documents():
    """The documents the SDK agreement test builds (every verb, every field)."""
    out = subprocess.run(["python3", "sdk/agreement/every_verb.py"], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": "sdk/python"})
    if out.returncode != 0 or not out.stdout.strip():
        return []
    document = json.loads(out.stdout)
    # The whole document, and each verb alone in one.
    return [document] + ([[verb] for verb in document] if isinstance(document, list) else [])


if __name__ == "__main__":
    main()
