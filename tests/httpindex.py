"""A local HTTP server for tests: a PEP 503 simple index of wheels on 127.0.0.1, serving
byte ranges or not, and counting what it sent."""

from __future__ import annotations

import html
import http.server
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator


@dataclass
class Served:
    """What the server sent: per file name, the body bytes and the requests."""

    ranges: bool = True
    sent: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    full: dict[str, int] = field(default_factory=dict)


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _handler(root: Path, served: Served) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _index(self, project: str | None) -> bytes:
            wheels = sorted(p.name for p in root.glob("*.whl"))
            if project is None:
                names = sorted({_canon(w.split("-")[0]) for w in wheels})
                links = "".join(f'<a href="{n}/">{n}</a>\n' for n in names)
            else:
                links = "".join(f'<a href="../../files/{html.escape(w)}">{html.escape(w)}</a>\n'
                                for w in wheels if _canon(w.split("-")[0]) == project)
            return f"<!DOCTYPE html><html><body>\n{links}</body></html>\n".encode()

        def _send(self, code: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(code)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path.startswith("/simple/"):
                project = path[len("/simple/"):].strip("/") or None
                self._send(200, self._index(project), {"Content-Type": "text/html"})
                return
            if not path.startswith("/files/"):
                self._send(404, b"", {})
                return
            name = os.path.basename(path)
            target = root / name
            if not target.is_file():
                self._send(404, b"", {})
                return
            data = target.read_bytes()
            wanted = self.headers.get("Range")
            served.requests[name] = served.requests.get(name, 0) + 1
            if self.command == "HEAD":
                self._send(200, data, {"Accept-Ranges": "bytes" if served.ranges else "none"})
                return
            if wanted and served.ranges:
                match = re.fullmatch(r"bytes=(\d*)-(\d*)", wanted.strip())
                assert match, wanted
                start_s, end_s = match.groups()
                if start_s == "":
                    start, end = max(0, len(data) - int(end_s)), len(data) - 1
                else:
                    start, end = int(start_s), min(len(data) - 1, int(end_s) if end_s else len(data) - 1)
                body = data[start:end + 1]
                served.sent[name] = served.sent.get(name, 0) + len(body)
                self._send(206, body, {"Content-Range": f"bytes {start}-{end}/{len(data)}", "Accept-Ranges": "bytes"})
                return
            served.sent[name] = served.sent.get(name, 0) + len(data)
            served.full[name] = served.full.get(name, 0) + 1
            self._send(200, data, {"Content-Type": "application/octet-stream"})

    return Handler


def serve(root: Path, *, ranges: bool = True) -> Iterator[tuple[str, Served]]:
    """Serve ``root``'s wheels at ``http://127.0.0.1:PORT/simple/`` until the generator ends."""
    served = Served(ranges=ranges)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(root, served))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
