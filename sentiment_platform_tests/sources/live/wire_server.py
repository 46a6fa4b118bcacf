"""A local HTTP server answering routes (a network's documented payloads) on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

Answer = tuple[int, str, bytes]


class WireServer:
    """``routes``: path -> (status, content type, body), or a function of the query giving one;
    ``seen`` the paths (with their queries) asked."""

    def __init__(self, routes: dict[str, Answer | Callable[[dict[str, str]], Answer]]) -> None:
        self.routes = routes
        self.seen: list[str] = []
        self.headers: list[tuple[str, dict[str, str]]] = []
        self.bodies: list[bytes] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                server.bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self.do_GET()

            def do_GET(self) -> None:  # noqa: N802
                server.seen.append(self.path)
                server.headers.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                parsed = urlparse(self.path)
                route = server.routes.get(parsed.path, (404, "text/plain", b"not found"))
                query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
                status, kind, body = route(query) if callable(route) else route
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> WireServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
