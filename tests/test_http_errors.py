"""What an endpoint's error reply may put into a message: one short line, no HTML, no key.

A stand-in server on 127.0.0.1 (http.server in a thread, a free port) answers with what a
misconfigured proxy might send: a 40 kB HTML page that echoes the Authorization header,
a JSON error quoting the refused key, a non-JSON 200. No request leaves the machine.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mnemoscope.models.http_client import EndpointClient, EndpointError, RetryPolicy
from mnemoscope.models.redact import MAX_CHARS, scrub_reply

KEY = "sk-test-7f3a9c1e5b2d4a6f8e0c"
OTHER_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz012345"


def html_page(auth: str) -> str:
    filler = "<div class='row'><span>lorem ipsum</span></div>\n" * 1000
    return (f"<!DOCTYPE html><html><head><title>401 Authorization Required</title>"
            f"<style>body {{ color: red }}</style><script>var seen = '{auth}';</script></head>"
            f"<body><h1>Access &amp; denied</h1><p>You sent: {auth}</p>"
            f"<!-- debug: {KEY} -->{filler}</body></html>")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):                                   # noqa: N802 (http.server's name)
        auth = self.headers.get("Authorization", "")
        if self.path.endswith("/html"):
            self._send(401, html_page(auth), "text/html")
        elif self.path.endswith("/json"):
            body = {"error": {"message": f"Incorrect API key provided: {KEY}. Also seen: "
                                         f"Authorization: {auth}; token={OTHER_TOKEN}"}}
            self._send(403, json.dumps(body), "application/json")
        elif self.path.endswith("/retry"):
            self._send(503, f"<html><body>overloaded, request by {auth}</body></html>",
                       "text/html")
        else:
            self._send(200, f"<html>{auth}" + "x" * 5000 + "</html>", "text/html")

    def _send(self, status: int, body: str, kind: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def client(server, monkeypatch):
    monkeypatch.setenv("MNEMOSCOPE_TEST_KEY", KEY)
    return EndpointClient(server, api_key_env="MNEMOSCOPE_TEST_KEY",
                          retry=RetryPolicy(max_retries=1, backoff_s=0.0),
                          sleep=lambda seconds: None)


def assert_clean(message: str) -> None:
    assert KEY not in message and KEY[:12] not in message and OTHER_TOKEN not in message
    assert "<" not in message and "lorem" not in message.split("Access")[0]
    assert "\n" not in message
    assert len(message) < MAX_CHARS + 300          # the server's part capped, plus our hint


@pytest.mark.parametrize("path, status", [("html", 401), ("json", 403)])
def test_error_reply_is_short_plain_and_redacted(client, path, status):
    with pytest.raises(EndpointError) as caught:
        client.get(path)
    message = str(caught.value)
    assert caught.value.status == status and f"HTTP {status}" in message
    assert_clean(message)
    assert "***" in message
    if path == "html":
        assert "Access & denied" in message and "color" not in message and "seen" not in message
    else:
        assert "Incorrect API key provided" in message


def test_retried_failure_and_its_log_lines_are_redacted(client, caplog):
    with caplog.at_level("WARNING", logger="mnemoscope.models.http_client"):
        with pytest.raises(EndpointError) as caught:
            client.get("retry")
    assert_clean(str(caught.value))
    assert "overloaded" in str(caught.value) and "after 2 attempts" in str(caught.value)
    assert caplog.records and all(KEY not in r.getMessage() for r in caplog.records)


def test_non_json_reply_is_quoted_short_and_redacted(client):
    with pytest.raises(EndpointError, match="not JSON") as caught:
        client.get("plain")
    assert_clean(str(caught.value))
    assert "xxxx" in str(caught.value) and "x" * 200 not in str(caught.value)


def test_scrub_reply_worked_example():
    body = ("<html><body><h1>Bad&nbsp;gateway</h1>\n\n  <p>upstream said:\n"
            "api_key=abc123 Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig "
            f"{KEY}</p></body></html>")
    assert scrub_reply(body, [KEY]) == "Bad gateway upstream said: api_key=*** Bearer *** ***"
    assert scrub_reply("model meta-llama/Llama-3.1-8B-Instruct not found") == \
        "model meta-llama/Llama-3.1-8B-Instruct not found"
    long = scrub_reply("word " * 500)
    assert len(long) == MAX_CHARS and long.endswith("…")
