"""A hostile HTTP server on 127.0.0.1 for the outbound client's tests: redirects on and off its
origin, bodies larger than they say, trickled bytes, compression bombs. It records the headers
of every request it gets, so a test can see where a credential went."""

from __future__ import annotations

import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class HostileServer:
    """``routes`` of the handler below; ``seen`` holds (path, headers) of each request."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._bomb: bytes | None = None

    @property
    def bomb(self) -> bytes:
        """Gzip of 1 GiB of zeros, built a chunk at a time (never held inflated)."""
        if self._bomb is None:
            packer = zlib.compressobj(9, zlib.DEFLATED, 31)
            zeros = bytes(1 << 20)
            self._bomb = b"".join(packer.compress(zeros) for _ in range(1024)) + packer.flush()
        return self._bomb

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> HostileServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def authorizations(self, path: str) -> list[str | None]:
        """The Authorization header of each request to ``path`` (None where there was none)."""
        return [headers.get("authorization") for seen, headers in self.seen if seen == path]

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: bytes = b"", **headers: str) -> None:
                self.send_response(status)
                named = {name.replace("_", "-"): value for name, value in headers.items()}
                named.setdefault("Content-Length", str(len(body)))
                for name, value in named.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                parsed = urlparse(self.path)
                query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
                server.seen.append((parsed.path, {k.lower(): v for k, v in self.headers.items()}))
                try:
                    self._route(parsed.path, query)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up, as it should on a hostile answer

            def _route(self, path: str, query: dict[str, str]) -> None:
                if path == "/ok":
                    return self._answer(200, b'{"ok": true}')
                if path == "/redirect":  # to wherever ?to= says
                    return self._answer(302, Location=query["to"])
                if path == "/loop":
                    return self._answer(302, Location="/loop")
                if path == "/declares-huge":
                    return self._answer(200, b"x" * 10, Content_Length=str(1 << 40))
                if path == "/endless":  # no length, bytes until the client stops reading
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    chunk = b"y" * 65536
                    for _ in range(10_000):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    return None
                if path == "/gzip-bomb":  # 1 GiB of zeros in about 1 MB, sent although identity was asked
                    return self._answer(200, server.bomb, Content_Encoding="gzip")
                if path.split("/")[1] == "trickle":  # a byte every 0.2 s, each read within any read timeout
                    self.send_response(200)
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    for _ in range(1000):
                        self.wfile.write(b"z")
                        self.wfile.flush()
                        time.sleep(0.2)
                    return None
                if path == "/trickle-headers":  # the status line and headers a byte at a time
                    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.2)
                    return None
                return self._answer(404, b"not found")

        return Handler
