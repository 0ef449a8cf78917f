"""The REST client against a real server: resources, paging, errors naming the field."""

import pytest

from switchboard_voice import ApiError, Client


def test_resources_are_created_read_changed_listed_and_deleted(server):
    client = Client(server.url, server.key)
    for n in range(101, 106):
        client.extensions.create({"number": str(n), "name": f"User {n}", "password": f"Secret-{n}-pw"})
    assert client.extensions.get("103")["name"] == "User 103"
    assert client.extensions.update("103", {"name": "Julien"})["name"] == "Julien"
    # Every page, two at a time.
    numbers = [e["number"] for e in client.extensions.list(page_size=2)]
    assert numbers == ["101", "102", "103", "104", "105"]
    client.extensions.delete("105")
    with pytest.raises(ApiError) as missing:
        client.extensions.get("105")
    assert (missing.value.status, missing.value.code) == (404, "not_found")


def test_errors_carry_the_servers_code_message_and_field(server):
    client = Client(server.url, server.key)
    with pytest.raises(ApiError) as invalid:
        client.extensions.create({"number": "101", "name": "X", "password": "short"})
    assert invalid.value.status == 422
    assert invalid.value.code == "validation_failed"
    assert invalid.value.field == "password"
    with pytest.raises(ApiError) as refused:
        Client(server.url, "sdk-admin:wrong-secret-0000").extensions.create({"number": "1"})
    assert refused.value.status == 401


def test_an_unreachable_server_is_retried_then_reported():
    client = Client("http://127.0.0.1:9", "k-1:secret", timeout=1, retries=1)
    with pytest.raises(OSError):
        client.extensions.get("101")
