"""Real HTTP servers on loopback for tests of outbound requests (imports, flows' requests).

Each server runs in a thread of its own and answers from a table of routes: a body (with
its headers), a redirect, or a body that stops half-way. Requests are recorded, Host
header included, so a test can tell where a request really went.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    #: Announce ``len(body) + cut`` bytes and close after ``body``: a download failing mid-way.
    cut: int = 0


@dataclass
class LocalServer:
    host: str
    port: int
    routes: dict[str, Route]
    seen: list[tuple[str, str]] = field(default_factory=list)
    #: Every request as (method, path, headers, body).
    received: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"


@contextmanager
def local_server(host: str = "127.0.0.1") -> Iterator[LocalServer]:
    """A server on ``host`` and a free port; add to ``server.routes`` to make it answer."""
    state = LocalServer(host, 0, {})

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            state.received.append((self.command, self.path, dict(self.headers), body))
            state.seen.append((self.path, self.headers.get("host", "")))
            route = state.routes.get(self.path)
            if route is None:
                route = Route(b"not here", 404)
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(route.body) + route.cut))
            if route.cut:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(route.body)
            self.wfile.flush()
            if route.cut:
                self.close_connection = True

        do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer((host, 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
