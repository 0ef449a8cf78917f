"""A real Switchboard for the SDK's tests: the binary named by SWITCHBOARD_BIN (the
repository's test command sets it), on free ports, with a fresh SQLite database."""

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def binary() -> str:
    path = os.environ.get("SWITCHBOARD_BIN")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("set SWITCHBOARD_BIN to the switchboard binary (./scripts/test does)")
    return path


class Server:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()
        self.key = f"sdk-admin:{secrets.token_hex(16)}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_") and k != "DATABASE_URL"}
        env.update({
            "SWITCHBOARD_HTTP_ADDR": "127.0.0.1:0",
            "SWITCHBOARD_SIP_ADDR": "127.0.0.1:0",
            "SWITCHBOARD_DATA_DIR": self.dir.name,
            "SWITCHBOARD_ADMIN_KEY": self.key,
            "SWITCHBOARD_LOG": "warn",
        })
        self.process = subprocess.Popen([binary()], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.url = None
        self.sip = None  # "127.0.0.1:<port>", UDP and TCP
        for line in self.process.stdout:
            if line.startswith("sip listening on "):
                self.sip = line.split()[3]
            elif line.startswith("listening on "):
                self.url = line.split()[-1]
                break
        if self.url is None:
            raise RuntimeError("switchboard did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        self.dir.cleanup()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.stop()
