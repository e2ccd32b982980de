"""A 2 GB upload is refused at once with a clear message, before its body is read."""

import socket

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db(transaction=True)


def send_huge(live_server, path: str, accept_language: str = "en") -> str:
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                f"Content-Length: {2 * 1024**3}\r\nAccept-Language: {accept_language}\r\n\r\n"
            ).encode()
            + b"--x\r\n"
            + b"0" * 65536
        )
        received = b""
        while not _complete(received):
            try:
                data = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not data:
                break
            received += data
        return received.decode("utf-8", "replace")


def _complete(response: bytes) -> bool:
    """Whether the headers and the whole body (per Content-Length) have arrived."""
    head, sep, body = response.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return False


@override_settings(MAX_REQUEST_BYTES=64 * 1024 * 1024)
def test_two_gigabyte_upload_gets_413_page(live_server):
    response = send_huge(live_server, "/jobs/launch/anything/")
    assert response.startswith("HTTP/1.1 413")
    assert "at most 64 MB" in response


def test_two_gigabyte_upload_to_the_api_gets_the_error_shape_in_chinese(live_server):
    response = send_huge(live_server, "/api/v1/jobs/", accept_language="zh-hans")
    assert response.startswith("HTTP/1.1 413")
    assert '"code": "too_large"' in response
    assert "MB" in response
