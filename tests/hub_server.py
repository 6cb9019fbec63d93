"""A stand-in for a hospital's Hugging Face mirror on 127.0.0.1, for tests of downloads.

It answers the two requests huggingface_hub makes for a file, as the Hub does:
HEAD /<owner>/<repo>/resolve/<revision>/<file> (commit, etag = sha256, size) and GET of the
same URL, honouring ``Range: bytes=N-`` so that resumed downloads can be seen.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"  # 40 hex digits, as the Hub's


@dataclass
class Mirror:
    url: str
    files: dict[str, bytes]  # "owner/repo/file.gguf" -> content
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, Range
    etags: dict[str, str] = field(default_factory=dict)  # override: serve a wrong checksum


def _handler(mirror: Mirror) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:  # keep pytest's output clean
            pass

        def _file(self) -> tuple[str, bytes] | None:
            parts = self.path.split("?")[0].strip("/").split("/")
            if len(parts) < 5 or parts[2] != "resolve":
                return None
            key = "/".join(parts[:2] + parts[4:])
            return (key, mirror.files[key]) if key in mirror.files else None

        def _headers(self, key: str, data: bytes, status: int, start: int = 0) -> None:
            self.send_response(status)
            self.send_header("X-Repo-Commit", COMMIT)
            etag = mirror.etags.get(key, hashlib.sha256(data).hexdigest())
            self.send_header("ETag", f'"{etag}"')
            self.send_header("Content-Length", str(len(data) - start))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()

        def do_HEAD(self) -> None:  # noqa: N802 (http.server API)
            mirror.requests.append(("HEAD", self.path, ""))
            found = self._file()
            if found is None:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("X-Repo-Commit", COMMIT)
                self.end_headers()
                return
            self._headers(*found, 200)

        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            wanted = self.headers.get("Range", "")
            mirror.requests.append(("GET", self.path, wanted))
            found = self._file()
            if found is None:
                self.send_response(404)
                self.end_headers()
                return
            key, data = found
            start = int(wanted.split("=")[1].split("-")[0]) if wanted.startswith("bytes=") else 0
            self._headers(key, data, 206 if start else 200, start)
            self.wfile.write(data[start:])

    return Handler


@contextmanager
def serve(files: dict[str, bytes]) -> Iterator[Mirror]:
    mirror = Mirror("", files)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(mirror))
    server.daemon_threads = True
    mirror.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield mirror
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
