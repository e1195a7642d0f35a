"""A small JSON-over-HTTP client for OpenAI-compatible servers.

What it adds over a bare `requests.Session`:
- the API key comes from an environment variable named by the caller and is sent only as
  an `Authorization: Bearer` header; it is never logged, never part of an error message
  (any message is scrubbed of it), and never part of `public_url`;
- bounded retries with exponential backoff and jitter on connection errors, timeouts,
  429 and 5xx (a `Retry-After` header is honoured, capped);
- a client-side rate limit (requests per second) shared by all threads;
- errors a person can act on: every failure is an EndpointError (an InputError, so the CLI
  exits 2 with one line) naming the redacted URL, the status and what to do. What the
  server replied is quoted only after redact.scrub_reply (no HTML, one line, at most 200
  characters, keys and tokens replaced by ***).

Uses `requests` (a dependency of gguf, which mnemoscope already needs).
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

from ..types import InputError
from .redact import scrub_reply

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 30.0


class EndpointError(InputError):
    """The endpoint could not be reached, refused the request, or kept failing."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def normalize_base_url(url: str) -> tuple[str, str]:
    """(base URL used for requests, public URL safe to record).

    `http://host:port` becomes `http://host:port/v1`; a path that is given is kept.
    Credentials in the URL are refused (they would end up in run files); query strings and
    fragments are dropped from both."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"model {url!r} is not an http(s):// URL of an OpenAI-compatible "
                         "server; pass e.g. http://127.0.0.1:8000/v1")
    if parts.username or parts.password:
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        raise InputError(f"the endpoint URL for {parts.scheme}://{host} carries credentials; "
                         "they would be stored in run files. Remove them from the URL and put "
                         "the API key in an environment variable (--api-key-env, default "
                         "OPENAI_API_KEY).")
    if parts.query:
        log.warning("ignoring the query string of the endpoint URL (it is never recorded)")
    path = parts.path.rstrip("/") or "/v1"
    base = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return base, base


def is_endpoint(model: str) -> bool:
    return model.strip().lower().startswith(("http://", "https://"))


class RateLimiter:
    """At most `per_second` calls to `wait()` per second, across threads (even spacing)."""

    def __init__(self, per_second: float | None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 0.0 if not per_second else 1.0 / float(per_second)
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if self.interval <= 0:
            return
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4          # attempts = 1 + max_retries
    backoff_s: float = 0.5        # first wait; doubles each retry
    max_backoff_s: float = 8.0

    def wait_s(self, attempt: int, retry_after: str | None, rng: random.Random) -> float:
        """Seconds to wait before retry number `attempt` (0-based)."""
        if retry_after:
            try:
                return min(MAX_RETRY_AFTER_S, max(0.0, float(retry_after)))
            except ValueError:
                pass                                    # an HTTP date: use our own backoff
        base = min(self.max_backoff_s, self.backoff_s * (2 ** attempt))
        return base * (0.5 + 0.5 * rng.random())        # jitter in [base/2, base]


class EndpointClient:
    """JSON requests to one OpenAI-compatible base URL."""

    def __init__(self, url: str, *, api_key_env: str = "OPENAI_API_KEY", timeout_s: float = 60.0,
                 retry: RetryPolicy = RetryPolicy(), requests_per_second: float | None = None,
                 session_factory: Callable[[], Any] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        import requests

        self.base_url, self.public_url = normalize_base_url(url)
        self.api_key_env = api_key_env
        self._api_key = os.environ.get(api_key_env) or None
        self.timeout_s = float(timeout_s)
        self.retry = retry
        self.limiter = RateLimiter(requests_per_second, sleep=sleep)
        self._sleep = sleep
        self._rng = random.Random(0)
        self._requests = requests
        self._session_factory = session_factory or requests.Session
        self._local = threading.local()                # one session per thread
        if not self._api_key:
            log.info("no API key in $%s; sending requests without one", api_key_env)
        self.server_header: str | None = None
        self.attempts = 0                              # every HTTP attempt, for tests and logs

    @property
    def session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._session_factory()
            session.headers["Content-Type"] = "application/json"
            if self._api_key:
                session.headers["Authorization"] = f"Bearer {self._api_key}"
        return session

    @property
    def has_api_key(self) -> bool:
        return self._api_key is not None

    def scrub(self, text: str) -> str:
        """`text` with the API key (if any) replaced, for any message that leaves here."""
        return text.replace(self._api_key, "***") if self._api_key else text

    def get(self, path: str) -> Any:
        return self._request("GET", path, None)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._request("POST", path, body)

    def _request(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        url = f"{self.base_url}/{path.lstrip('/')}"
        where = f"{method} {self.public_url}/{path.lstrip('/')}"
        exc_types = (self._requests.ConnectionError, self._requests.Timeout)
        last_problem = ""
        for attempt in range(self.retry.max_retries + 1):
            self.limiter.wait()
            self.attempts += 1
            retry_after = None
            try:
                response = self.session.request(method, url, json=body, timeout=self.timeout_s)
            except exc_types as exc:
                last_problem = _connection_problem(exc)
            else:
                self.server_header = response.headers.get("server", self.server_header)
                if response.status_code < 400:
                    return self._json(response, where)
                if response.status_code not in RETRY_STATUS:
                    raise self._http_error(response, where)
                last_problem = f"HTTP {response.status_code} {self._error_text(response)}"
                retry_after = response.headers.get("retry-after")
            if attempt < self.retry.max_retries:
                wait = self.retry.wait_s(attempt, retry_after, self._rng)
                log.warning("%s failed (%s); retry %d of %d in %.1f s", where,
                            self.scrub(last_problem), attempt + 1, self.retry.max_retries, wait)
                self._sleep(wait)
        raise EndpointError(self.scrub(
            f"{where}: {last_problem} after {self.retry.max_retries + 1} attempts. Is the server "
            "running and reachable? Check the URL passed as --model (e.g. "
            "http://127.0.0.1:8000/v1), or raise --request-timeout/--max-retries."))

    def _json(self, response: Any, where: str) -> Any:
        try:
            return response.json()
        except ValueError:
            quoted = scrub_reply(response.text, [self._api_key], limit=120)
            raise EndpointError(f"{where}: the reply is not JSON ({quoted!r}). Is this an "
                                "OpenAI-compatible server?") from None

    def _http_error(self, response: Any, where: str) -> EndpointError:
        status = response.status_code
        detail = self._error_text(response)
        if status in (401, 403):
            hint = (f"the key in ${self.api_key_env} was refused" if self.has_api_key else
                    f"no API key was sent: put it in ${self.api_key_env} (or name another "
                    "variable with --api-key-env)")
            return EndpointError(self.scrub(f"{where}: HTTP {status} {detail}; {hint}."), status)
        if status == 404:
            return EndpointError(self.scrub(
                f"{where}: HTTP 404 {detail}. Is the URL the server's OpenAI base path (usually "
                "ending in /v1) and does the server offer this endpoint?"), status)
        return EndpointError(self.scrub(f"{where}: HTTP {status} {detail}"), status)

    def _error_text(self, response: Any) -> str:
        """The server's own error message: short, one line, no HTML, no keys."""
        return scrub_reply(_error_message(response), [self._api_key])


def _error_message(response: Any) -> str:
    """The message in an OpenAI-style error body, else the whole body."""
    try:
        payload = response.json()
    except ValueError:
        return response.text
    if isinstance(payload, dict):
        error = payload.get("error", payload.get("detail", payload))
        if isinstance(error, dict):
            error = error.get("message", error)
        return str(error)
    return str(payload)


def _connection_problem(exc: Exception) -> str:
    """A short cause without the library's long repr (which repeats the URL)."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out",
                   "Read timed out", "Connection reset", "Remote end closed",
                   "No route to host", "Temporary failure in name resolution"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__
