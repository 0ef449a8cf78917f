"""The rest of the REST surface against a real server: audio up and down, mailboxes,
follow-me, day/night, time-condition overrides, queue agents, applications' secrets,
the built-in apps, feature codes, registrations (a real SIP REGISTER) and tokens."""

import hashlib
import io
import json
import math
import re
import secrets
import socket
import struct
import urllib.request
import wave

import pytest

from switchboard_voice import ApiError, Client


def tone_wav(seconds=0.5, rate=16000, channels=2, hz=440.0):
    """A sine tone as a WAV file made with the standard library."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = bytearray()
        for i in range(int(seconds * rate)):
            sample = int(12000 * math.sin(2 * math.pi * hz * i / rate))
            frames += struct.pack("<h", sample) * channels
        w.writeframes(bytes(frames))
    return out.getvalue()


def wav_format(data):
    with wave.open(io.BytesIO(data)) as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()


def api_error(excinfo):
    e = excinfo.value
    return e.status, e.code, e.field


@pytest.fixture
def client(server):
    return Client(server.url, server.key)


def test_a_recording_is_uploaded_converted_and_downloaded(client):
    recording = client.recordings.upload("Welcome", tone_wav())
    assert (recording["name"], recording["kind"]) == ("Welcome", "upload")
    assert (recording["sample_rate"], recording["channels"], recording["bits_per_sample"]) == (8000, 1, 16)
    assert recording["duration_ms"] == 500
    audio = client.recordings.audio(recording["id"])
    assert audio == client.download(recording["audio_url"])
    assert audio == client.download(client.base_url + recording["audio_url"])
    assert len(audio) == recording["size_bytes"]
    rate, channels, width, frames = wav_format(audio)
    assert (rate, channels, width) == (8000, 1, 2)
    assert abs(frames - 4000) <= 2
    # A file object works too; the same name again is a conflict naming the field.
    assert client.recordings.upload("Other", io.BytesIO(tone_wav(0.25)))["duration_ms"] == 250
    with pytest.raises(ApiError) as taken:
        client.recordings.upload("Welcome", tone_wav())
    assert api_error(taken) == (409, "conflict", "name")
    with pytest.raises(ApiError) as not_wav:
        client.recordings.upload("Noise", b"this is not a wav file at all")
    assert api_error(not_wav) == (415, "unsupported_media_type", "file")
    with pytest.raises(ApiError) as missing:
        client.download("/v1/recordings/RE00000000000000000000000000000000/audio")
    assert api_error(missing)[:2] == (404, "not_found")
    with pytest.raises(ValueError):
        client.download("http://elsewhere.example/v1/recordings")


def leave_message(client, mailbox, recording_id, caller="5000"):
    """What the built-in voicemail app does when a caller's message is recorded (the
    `record` verb's action), asked with the admin key as the apps allow."""
    client.request("POST", f"/apps/voicemail/{mailbox}/saved", {
        "call_sid": "CA" + secrets.token_hex(16), "from": caller,
        "recording_sid": recording_id, "recording_duration": 1,
    })


def test_voicemail_messages_are_listed_read_moved_downloaded_and_deleted(client):
    client.extensions.create({"number": "101", "name": "Pierre", "password": "Secret-101-pw",
                              "voicemail": {"enabled": True}})
    recording = client.recordings.upload("Message", tone_wav(1.0, rate=8000, channels=1))
    leave_message(client, "101", recording["id"], caller="5001")
    leave_message(client, "101", recording["id"], caller="5002")
    mailbox = client.voicemail("101")
    messages = list(mailbox.list(page_size=1))
    assert [m["caller_number"] for m in messages] == ["5001", "5002"]
    first = messages[0]
    assert (first["mailbox"], first["folder"], first["duration_ms"]) == ("101", "new", 1000)
    assert mailbox.get(first["id"])["id"] == first["id"]
    audio = mailbox.audio(first["id"])
    assert audio == client.download(first["audio_url"])
    assert wav_format(audio)[:3] == (8000, 1, 2)
    assert len(audio) == recording["size_bytes"]
    assert mailbox.update(first["id"], {"folder": "saved"})["folder"] == "saved"
    assert [m["caller_number"] for m in mailbox.list(folder="new")] == ["5002"]
    mailbox.delete(first["id"])
    with pytest.raises(ApiError) as gone:
        mailbox.audio(first["id"])
    assert api_error(gone)[:2] == (404, "not_found")
    with pytest.raises(ApiError) as no_mailbox:
        list(client.voicemail("999").list())
    assert api_error(no_mailbox)[:2] == (404, "not_found")


def test_follow_me_is_set_changed_read_and_removed(client):
    client.extensions.create({"number": "101", "name": "Pierre", "password": "Secret-101-pw",
                              "voicemail": {"enabled": True}})
    client.extensions.create({"number": "102", "name": "Julie", "password": "Secret-102-pw"})
    follow_me = client.extensions.follow_me("101")
    with pytest.raises(ApiError) as none_yet:
        follow_me.get()
    assert api_error(none_yet)[:2] == (404, "not_found")
    put = follow_me.replace({"enabled": True, "numbers": ["101", "102"], "initial_ring_time": 5,
                             "no_answer_destination": "voicemail:101"})
    assert (put["numbers"], put["initial_ring_time"]) == (["101", "102"], 5)
    changed = follow_me.update({"strategy": "hunt", "enabled": False})
    assert (changed["strategy"], changed["enabled"], changed["numbers"]) == ("hunt", False, ["101", "102"])
    assert follow_me.get() == changed
    with pytest.raises(ApiError) as loop:
        follow_me.update({"no_answer_destination": "extension:101"})
    assert api_error(loop) == (422, "validation_failed", "no_answer_destination")
    follow_me.delete()
    with pytest.raises(ApiError):
        follow_me.get()


def test_a_daynight_switch_is_toggled_and_a_time_condition_overridden(client):
    client.daynight.create({"index": 3, "name": "Office", "day_destination": "hangup",
                            "night_destination": "hangup"})
    assert client.daynight.get(3)["mode"] == "day"
    assert client.daynight.toggle(3)["mode"] == "night"
    assert client.daynight.get("3")["mode"] == "night"
    assert client.daynight.toggle(3)["mode"] == "day"
    with pytest.raises(ApiError) as missing:
        client.daynight.toggle(7)
    assert api_error(missing)[:2] == (404, "not_found")

    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    client.time_conditions.create({"id": "2", "name": "Mornings", "time_zone": "UTC",
                                   "ranges": [{"days": days, "start": "00:00", "end": "12:00"}],
                                   "match_destination": "hangup", "no_match_destination": "daynight:3"})
    forced = client.time_conditions.override("2", "no_match", permanent=True)
    assert forced["override"] == {"state": "no_match", "until": None}
    assert forced["state"] == "no_match"
    until_next = client.time_conditions.override("2", "match")
    assert until_next["override"]["state"] == "match" and until_next["override"]["until"]
    assert until_next["state"] == "match"
    assert client.time_conditions.override("2", None)["override"] is None
    with pytest.raises(ApiError) as bad:
        client.time_conditions.override("2", "sometimes")
    assert bad.value.status in (400, 422)


def test_queue_agents_are_logged_in_and_paused_and_callers_and_stats_read(client):
    client.extensions.create({"number": "201", "name": "Agent", "password": "Secret-201-pw"})
    client.queues.create({"name": "support", "members": [{"member": "201", "dynamic": True}]})
    [agent] = client.queues.agents("support")
    assert (agent["member"], agent["dynamic"], agent["logged_in"]) == ("201", True, False)
    assert client.queues.update_agent("support", "201", {"logged_in": True})["logged_in"] is True
    paused = client.queues.update_agent("support", "201", {"paused": True, "pause_reason": "lunch"})
    assert (paused["paused"], paused["pause_reason"], paused["state"]) == (True, "lunch", "paused")
    with pytest.raises(ApiError) as stranger:
        client.queues.update_agent("support", "999", {"paused": True})
    assert api_error(stranger)[:2] == (404, "not_found")
    assert client.queues.callers("support") == []
    stats = client.queues.stats("support")
    assert (stats["offered"], stats["waiting"]) == (0, 0)
    assert client.queues.stats("support", since="2020-01-01T00:00:00Z")["since"].startswith("2020-01-01")
    with pytest.raises(ApiError) as bad_since:
        client.queues.stats("support", since="yesterday")
    assert api_error(bad_since)[:2] == (400, "bad_request")


def test_applications_secrets_rotate_and_the_builtin_apps_are_listed(client):
    app = client.applications.create({"name": "Reception", "voice_url": "http://127.0.0.1:9/voice"})
    rotated = client.applications.rotate_secret(app["id"])
    assert rotated["id"] == app["id"]
    assert rotated["signing_secret"].startswith("whsec_") and rotated["signing_secret"] != app["signing_secret"]
    with pytest.raises(ApiError) as missing:
        client.applications.rotate_secret("AP00000000000000000000000000000000")
    assert api_error(missing)[:2] == (404, "not_found")
    apps = client.apps()
    assert apps["base_url"].endswith("/apps/")
    assert apps["signing_secret"] != apps["url_destinations_signing_secret"]
    assert "/apps/ivr/{name}" in [a["url"] for a in apps["apps"]]


def test_feature_codes_are_changed(client):
    codes = {c["feature"]: c for c in client.feature_codes.list()}
    assert codes["daynight_toggle"]["code"] == "*28"
    assert client.feature_codes.update("daynight_toggle", {"code": "*48"})["code"] == "*48"
    assert client.feature_codes.update("followme_toggle", {"enabled": False})["enabled"] is False
    codes = {c["feature"]: c for c in client.feature_codes.list()}
    assert (codes["daynight_toggle"]["code"], codes["followme_toggle"]["enabled"]) == ("*48", False)
    with pytest.raises(ApiError) as clash:
        client.feature_codes.update("voicemail_listen", {"code": "*4"})
    assert api_error(clash) == (409, "conflict", "code")


def register(sip, user, password, expires=300):
    """A SIP REGISTER over UDP with digest authentication, as a phone sends it."""
    host, port = sip.rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(5)
    sock.bind(("127.0.0.1", 0))
    local = f"127.0.0.1:{sock.getsockname()[1]}"
    call_id, tag = secrets.token_hex(8), secrets.token_hex(4)

    def send(cseq, authorization=""):
        request = (
            f"REGISTER sip:{sip} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {local};branch=z9hG4bK{secrets.token_hex(8)};rport\r\n"
            f"From: <sip:{user}@{host}>;tag={tag}\r\nTo: <sip:{user}@{host}>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:{user}@{local}>\r\n"
            f"{authorization}Max-Forwards: 70\r\nExpires: {expires}\r\nUser-Agent: sdk-test\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        sock.sendto(request.encode(), (host, int(port)))
        return sock.recv(65535).decode()

    try:
        challenge = send(1)
        assert challenge.startswith("SIP/2.0 401"), challenge
        realm = re.search(r'realm="([^"]*)"', challenge).group(1)
        nonce = re.search(r'nonce="([^"]*)"', challenge).group(1)
        md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
        uri = f"sip:{sip}"
        response = md5(f"{md5(f'{user}:{realm}:{password}')}:{nonce}:{md5(f'REGISTER:{uri}')}")
        auth = (f'Authorization: Digest username="{user}", realm="{realm}", nonce="{nonce}", '
                f'uri="{uri}", response="{response}", algorithm=MD5\r\n')
        answer = send(2, auth)
        assert answer.startswith("SIP/2.0 200"), answer
    finally:
        sock.close()


def test_registrations_are_listed_and_removed(server, client):
    client.extensions.create({"number": "101", "name": "Pierre", "password": "Secret-101-pw"})
    client.extensions.create({"number": "102", "name": "Julie", "password": "Secret-102-pw"})
    assert list(client.registrations.list()) == []
    register(server.sip, "101", "Secret-101-pw")
    register(server.sip, "102", "Secret-102-pw")
    assert sorted(r["extension"] for r in client.registrations.list(page_size=1)) == ["101", "102"]
    [phone] = client.registrations.list(extension="101")
    assert (phone["transport"], phone["user_agent"]) == ("udp", "sdk-test")
    client.registrations.delete(phone["id"])
    assert [r["extension"] for r in client.registrations.list()] == ["102"]
    with pytest.raises(ApiError) as gone:
        client.registrations.delete(phone["id"])
    assert api_error(gone)[:2] == (404, "not_found")


def test_a_token_is_issued_for_the_key_and_a_wrong_secret_refused(server, client):
    token = client.create_token()
    assert token["token_type"] == "Bearer" and token["expires_in"] > 0
    request = urllib.request.Request(server.url + "/v1/extensions",
                                     headers={"authorization": f"Bearer {token['access_token']}"})
    with urllib.request.urlopen(request) as answer:
        assert json.loads(answer.read())["data"] == []
    key_id = server.key.split(":")[0]
    with pytest.raises(ApiError) as refused:
        client.create_token(key_id, "wrong-secret-000000000000")
    assert api_error(refused)[:2] == (401, "unauthorized")
