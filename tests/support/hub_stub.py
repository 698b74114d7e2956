"""(Helpers, no tests.) A local stand-in for the Hugging Face Hub, on 127.0.0.1 only, for the download tests.

It implements what llmdesk's downloader and huggingface_hub use:

- ``GET /api/models/<repo>[/revision/<rev>]?blobs=True``: the model info with ``sha`` and ``siblings`` (size, blobId,
  and lfs.sha256 for ``*.safetensors``, which are served as LFS files);
- ``HEAD|GET /<repo>/resolve/<rev>/<file>``: small files answer directly with ETag (the git blob id),
  X-Repo-Commit and Content-Length; LFS files answer 302 to a second server (the "CDN", another port on 127.0.0.1)
  with X-Linked-Etag (the sha256), X-Linked-Size and X-Repo-Commit, as the real Hub does;
- ``GET /cdn/<sha256>`` on the CDN server: the bytes, with ``Range: bytes=N-`` support (206 + Content-Range).

Knobs: ``delay_s`` sleeps between 64 KiB chunks (a slow network), ``drop_after`` closes the connection after that
many bytes of a file body once (a network failure), ``stall`` makes the API hang (an unresponsive Hub),
``ignore_range`` answers Range requests with the whole file (as some proxies do). Every
request is recorded in :attr:`HubStub.requests` with its Range header.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

CHUNK = 64 * 1024
REPO = "llmdesk-test/tiny-phi3"
WEIGHTS = "model.safetensors"


def allow_network(monkeypatch) -> None:
    """Network on (conftest turns it off), and no real token ever sent to the stand-in."""
    import huggingface_hub.constants as hub_constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub_constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", True)
    monkeypatch.delenv("HF_TOKEN", raising=False)


def serve_tiny_model(monkeypatch, model_dir: Path):
    """A stand-in Hub serving ``model_dir`` as :data:`REPO`, with HF_ENDPOINT pointing at it (a generator for
    fixtures: yields the stub, closes it afterwards)."""
    allow_network(monkeypatch)
    stub = HubStub()
    stub.add_repo(REPO, model_dir)
    monkeypatch.setenv("HF_ENDPOINT", stub.url)
    try:
        yield stub
    finally:
        stub.close()


@dataclass
class Request:
    server: str  # "hub" or "cdn"
    method: str
    path: str
    range: str | None


@dataclass
class StubRepo:
    commit: str
    files: dict[str, bytes]

    def etag(self, name: str) -> str:
        data = self.files[name]
        if is_lfs(name):
            return hashlib.sha256(data).hexdigest()
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_lfs(name: str) -> bool:
    return name.endswith((".safetensors", ".bin"))


@dataclass
class HubStub:
    repos: dict[str, StubRepo] = field(default_factory=dict)
    delay_s: float = 0.0
    drop_after: dict[str, int] = field(default_factory=dict)
    stall: bool = False
    ignore_range: bool = False
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.hub = _Server(("127.0.0.1", 0), _handler(self, "hub"))
        self.cdn = _Server(("127.0.0.1", 0), _handler(self, "cdn"))
        self._threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
                         for s in (self.hub, self.cdn)]
        for t in self._threads:
            t.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.hub.server_address[1]}"

    @property
    def cdn_url(self) -> str:
        return f"http://127.0.0.1:{self.cdn.server_address[1]}"

    def add_repo(self, repo_id: str, folder: Path, commit: str = "c0ffee" * 6 + "abcd") -> StubRepo:
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
        repo = StubRepo(commit, files)
        self.repos[repo_id] = repo
        return repo

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def ranged_gets(self, suffix: str) -> list[str]:
        """The Range headers of the body GETs whose path ends with ``suffix``."""
        return [r.range for r in self.requests if r.method == "GET" and r.path.endswith(suffix) and r.range]

    def close(self) -> None:
        self._release.set()
        for s in (self.hub, self.cdn):
            s.shutdown()
            s.server_close()
        for t in self._threads:
            t.join(5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _handler(stub: HubStub, role: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_HEAD(self) -> None:
            self._route(head=True)

        def do_GET(self) -> None:
            self._route(head=False)

        def _route(self, head: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            stub.record(Request(role, self.command, path, self.headers.get("Range")))
            try:
                if role == "cdn":
                    match = re.fullmatch(r"/cdn/([0-9a-f]{64})", path)
                    blob = match and _find_blob(stub, match.group(1))
                    if blob is None:
                        return self._error(404, "EntryNotFound")
                    return self._send_body(blob[0], blob[1], head, etag=match.group(1))
                if path.startswith("/api/models/"):
                    return self._model_info(path[len("/api/models/"):])
                match = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
                if match:
                    return self._resolve(*match.groups(), head=head)
                self._error(404, "RepoNotFound")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away (cancel): nothing to do

        def _model_info(self, rest: str) -> None:
            if stub.stall:
                stub._release.wait(30)
                return
            repo_id, _, revision = rest.partition("/revision/")
            repo = stub.repos.get(repo_id)
            if repo is None:
                return self._error(404, "RepoNotFound")
            if revision and revision not in ("main", repo.commit):
                return self._error(404, "RevisionNotFound")
            siblings = []
            for name, data in repo.files.items():
                sibling = {"rfilename": name, "size": len(data), "blobId": repo.etag(name)}
                if is_lfs(name):
                    sibling["lfs"] = {"size": len(data), "sha256": repo.etag(name), "pointerSize": 134}
                siblings.append(sibling)
            body = json.dumps({"id": repo_id, "modelId": repo_id, "sha": repo.commit, "private": False,
                               "siblings": siblings}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _resolve(self, repo_id: str, revision: str, name: str, head: bool) -> None:
            repo = stub.repos.get(repo_id)
            if repo is None:
                return self._error(404, "RepoNotFound")
            if revision not in ("main", repo.commit):
                return self._error(404, "RevisionNotFound")
            if name not in repo.files:
                return self._error(404, "EntryNotFound")
            data = repo.files[name]
            if is_lfs(name):
                self.send_response(302)
                self.send_header("Location", f"{stub.cdn_url}/cdn/{repo.etag(name)}")
                self.send_header("X-Linked-Etag", f'"{repo.etag(name)}"')
                self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("X-Repo-Commit", repo.commit)
                self.send_header("ETag", '"pointer-etag"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            return self._send_body(name, data, head, etag=repo.etag(name), commit=repo.commit)

        def _send_body(self, name: str, data: bytes, head: bool, etag: str, commit: str | None = None) -> None:
            start = 0
            ranged = self.headers.get("Range")
            match = None if stub.ignore_range else re.fullmatch(r"bytes=(\d+)-", ranged or "")
            if match:
                start = int(match.group(1))
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(data) - start))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", f'"{etag}"')
            if commit:
                self.send_header("X-Repo-Commit", commit)
            self.end_headers()
            if head:
                return
            drop = stub.drop_after.pop(name, None)
            position = start
            while position < len(data):
                if drop is not None and position >= drop:
                    self.close_connection = True
                    self.wfile.flush()
                    self.connection.shutdown(2)  # a network failure midway through the body
                    return
                end = min(len(data), position + CHUNK)
                if drop is not None:
                    end = min(end, max(drop, position + 1))
                self.wfile.write(data[position:end])
                position = end
                if stub.delay_s:
                    if stub._release.wait(stub.delay_s):
                        return

        def _error(self, status: int, code: str) -> None:
            body = json.dumps({"error": code}).encode()
            self.send_response(status)
            self.send_header("X-Error-Code", code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _find_blob(stub: HubStub, sha: str) -> tuple[str, bytes] | None:
    for repo in stub.repos.values():
        for name, data in repo.files.items():
            if is_lfs(name) and repo.etag(name) == sha:
                return name, data
    return None
