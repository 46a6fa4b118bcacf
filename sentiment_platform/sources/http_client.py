"""The one outbound HTTP client of every source and media download (on ``httpx``).

What it guarantees, whatever the server does:

- only ``http`` and ``https`` URLs are opened (anything else is an ``invalid_url`` error, before a
  socket is opened);
- credentials are sent only to the one origin they belong to (scheme, host and port of the API),
  only when the caller asks for them, and never on a redirect to another origin: a redirect is
  followed (at most ``max_redirects`` times) without them;
- every body is capped while it streams (the declared ``Content-Length`` is checked first, then the
  bytes as they arrive): a body over the cap is never held whole. Bodies are asked for and read
  uncompressed (``Accept-Encoding: identity``, raw bytes), so a compression bomb is never inflated;
- every request has a total deadline covering connect, headers and every read: each socket
  operation waits at most what is left of it, so a server that trickles a byte at a time cannot
  hold a pull longer than the deadline.

Nothing here logs or raises with a header value: an error names the URL's host and path only.
"""

from __future__ import annotations

import contextvars
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

#: Schemes the client opens; any other URL (``file:``, ``ftp:``, ``data:``, ...) is refused.
ALLOWED_SCHEMES = frozenset({"http", "https"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# The monotonic instant the current request must end by (None outside a request).
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("outbound_deadline", default=None)


@dataclass(frozen=True)
class HttpLimits:
    """What one request may cost: body bytes, total seconds, seconds per connect or read, redirects."""

    max_bytes: int = 8 * 1024 * 1024
    deadline_s: float = 30.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 10.0
    max_redirects: int = 3


class OutboundError(OSError):
    """A request that did not give a usable body; ``reason`` is a stable code for metadata and
    quarantine (``invalid_url``, ``too_large``, ``deadline_exceeded``, ``timeout``,
    ``too_many_redirects``, ``network_error``)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class HttpResponse:
    """A whole (capped) answer: any status, its headers and body, and the URL that gave it."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: str


def url_problem(url: object) -> str | None:
    """``invalid_url`` when ``url`` is not an absolute http(s) URL with a host and no user info
    (``http://api.x.com@evil.example/`` names evil.example, and would carry its own credentials),
    else None."""
    if not isinstance(url, str):
        return "invalid_url"
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "invalid_url"
    return _target_problem(parsed)


def _target_problem(url: httpx.URL) -> str | None:
    return None if url.scheme in ALLOWED_SCHEMES and url.host and not url.userinfo else "invalid_url"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default


def _described(url: httpx.URL) -> str:
    """Host and path only: never the query (it may carry a token) nor user info."""
    return f"{url.host}{url.path}"


def _left(timeout: float | None) -> float | None:
    """``timeout`` shortened to what is left of the current request's deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise httpcore.ReadTimeout("deadline exceeded")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write waits at most what is left of the deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None):
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_tcp(host, port, _left(timeout), local_address, socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):  # pragma: no cover - not used
        return _DeadlineStream(self._backend.connect_unix_socket(path, _left(timeout), socket_options))

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore retries are off
        time.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport over a connection pool whose sockets honour the request deadline."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        # httpx builds its pool without a way to pass a network backend; httpcore takes one.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_DeadlineBackend(), max_connections=10
        )


@dataclass
class HttpClient:
    """Outbound requests for one source. ``credentials`` (headers such as ``Authorization``) belong to
    ``credential_origin`` (the API's base URL) and go nowhere else."""

    credential_origin: str | None = None
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    user_agent: str = "sentiment-platform"
    _client: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.credential_origin is not None and url_problem(self.credential_origin):
            raise OutboundError("invalid_url", "the API base URL must be an absolute http(s) URL without user info")
        self._origin = _origin(httpx.URL(self.credential_origin)) if self.credential_origin else None
        # trust_env off: no proxy, .netrc or certificate settings picked up from the environment.
        self._client = httpx.Client(
            transport=_DeadlineTransport(),
            trust_env=False,
            follow_redirects=False,
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "identity"},
        )

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        limits: HttpLimits,
        params: Mapping[str, Any] | None = None,
        authenticated: bool = False,
    ) -> HttpResponse:
        """GET ``url`` within ``limits``; credentials only if ``authenticated`` and only to their
        own origin. Any status is returned (the caller decides); raises :class:`OutboundError`
        when no whole body could be had."""
        return self.request("GET", url, limits, params, authenticated=authenticated)

    def post_json(self, url: str, body: bytes, limits: HttpLimits) -> HttpResponse:
        """POST a JSON ``body`` (a webhook) within ``limits``, without credentials; a redirect is
        not followed (the receiver answers where it is)."""
        return self.request("POST", url, limits, content=body, headers={"Content-Type": "application/json"})

    def request(
        self,
        method: str,
        url: str,
        limits: HttpLimits,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = False,
    ) -> HttpResponse:
        """One request under every rule of this client (see :meth:`get`); only a GET follows redirects."""
        if url_problem(url):
            raise OutboundError("invalid_url", "only absolute http(s) URLs are opened")
        target = httpx.URL(url, params=params) if params else httpx.URL(url)
        token = _deadline.set(time.monotonic() + limits.deadline_s)
        try:
            for _ in range(limits.max_redirects + 1):
                # Once a redirect leaves the origin, the credentials stay behind for the rest of the chain.
                authenticated = authenticated and self._origin is not None and _origin(target) == self._origin
                sent = dict(headers or {}) | (dict(self.credentials) if authenticated else {})
                with self._streamed(method, target, sent, content, limits) as response:
                    location = response.headers.get("location")
                    if response.status_code not in REDIRECT_STATUSES or not location or method != "GET":
                        return HttpResponse(
                            response.status_code, response.headers, self._body(response, limits), str(target)
                        )
                try:
                    target = target.join(location)
                except (httpx.InvalidURL, ValueError):
                    raise OutboundError(
                        "invalid_url", f"a redirect from {_described(target)} to a malformed URL"
                    ) from None
                if _target_problem(target):
                    raise OutboundError("invalid_url", "a redirect to a URL that is not plain http(s)")
            raise OutboundError("too_many_redirects", f"more than {limits.max_redirects} redirects")
        finally:
            _deadline.reset(token)

    @contextmanager
    def _streamed(
        self, method: str, url: httpx.URL, headers: dict[str, str], content: bytes | None, limits: HttpLimits
    ) -> Iterator[httpx.Response]:
        timeout = httpx.Timeout(
            connect=min(limits.connect_timeout_s, limits.deadline_s),
            read=min(limits.read_timeout_s, limits.deadline_s),
            write=min(limits.read_timeout_s, limits.deadline_s),
            pool=min(limits.connect_timeout_s, limits.deadline_s),
        )
        try:
            with self._client.stream(method, url, headers=headers, content=content, timeout=timeout) as response:
                yield response
        except httpx.TimeoutException:
            deadline = _deadline.get()
            reason = "deadline_exceeded" if deadline is not None and time.monotonic() >= deadline else "timeout"
            raise OutboundError(reason, f"{_described(url)} within {limits.deadline_s:g} s") from None
        except (httpx.TransportError, httpx.DecodingError) as error:
            raise OutboundError("network_error", f"{_described(url)}: {type(error).__name__}") from None

    @staticmethod
    def _body(response: httpx.Response, limits: HttpLimits) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_bytes:
            raise OutboundError("too_large", f"declares {declared} bytes, over the cap of {limits.max_bytes}")
        chunks, size = [], 0
        for chunk in response.iter_raw():  # as sent: nothing is inflated
            size += len(chunk)
            if size > limits.max_bytes:
                raise OutboundError("too_large", f"body over the cap of {limits.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def seconds_header(value: str | None) -> float | None:
    """A header that should hold a number of seconds (or an epoch time), as a finite float; None
    when absent or not a number (``"soon"``, ``"nan"``, ``"inf"``)."""
    try:
        number = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return number if math.isfinite(number) else None
