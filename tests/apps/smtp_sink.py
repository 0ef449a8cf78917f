"""A real SMTP server for the tests (aiosmtpd): every message it accepts is written to
OUT_DIR as <n>.json (envelope, headers, text body, attachments) with each attachment's
bytes beside it as <n>-<i>.<ext>. A recipient whose user is "nobody" is refused (550, as
a server refuses an unknown user), each refusal a line of OUT_DIR/refused.log. Prints
"listening" once it accepts connections.

usage: python3 smtp_sink.py PORT OUT_DIR
"""
import email
import email.policy
import json
import os
import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = len([f for f in os.listdir(out_dir) if f.endswith(".json")])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("nobody@"):
            with open(os.path.join(self.out_dir, "refused.log"), "a") as f:
                f.write(address + "\n")
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        n = self.count
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        attachments = []
        for i, part in enumerate(message.iter_attachments()):
            ext = (part.get_filename() or "bin").rsplit(".", 1)[-1]
            path = os.path.join(self.out_dir, f"{n}-{i}.{ext}")
            with open(path, "wb") as f:
                f.write(part.get_payload(decode=True))
            attachments.append(
                {"filename": part.get_filename(), "content_type": part.get_content_type(), "path": path}
            )
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": message["From"],
            "to": message["To"],
            "subject": message["Subject"],
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
            "attachments": attachments,
        }
        tmp = os.path.join(self.out_dir, f".{n}.json")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(self.out_dir, f"{n}.json"))
        return "250 Message accepted for delivery"


def main():
    port, out_dir = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(out_dir), hostname="127.0.0.1", port=port)
    controller.start()
    print("listening", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
