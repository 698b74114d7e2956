"""Is the model here, how big is it, and fetch it: the first-run download, with progress, cancel and resume.

Plain Python: no Qt and no torch. The GUI runs these functions on a worker thread; every network call has a timeout,
and :func:`download_model` checks a ``threading.Event`` between network reads, so a cancel takes effect within one
read (at most ``timeout`` seconds on a stalled connection, a fraction of a second otherwise).

The standard Hugging Face cache is used and respected, so models fetched by other tools (``hf download``,
transformers, ...) are reused and ours are reused by them:

- the cache folder comes from ``HF_HUB_CACHE``, else ``HF_HOME``/hub, else ``XDG_CACHE_HOME``/huggingface/hub,
  else ``~/.cache/huggingface/hub``, read when each function runs (not when the module is imported);
- ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) turns every network call off; ``HF_ENDPOINT`` picks the Hub;
  the token is the Hub's usual one (``HF_TOKEN`` or ``hf auth login``).

Files are written in the cache's own layout: ``models--org--name/blobs/<etag>``, ``snapshots/<commit>/<file>`` as a
relative symlink to the blob, and ``refs/<revision>`` holding the commit, under huggingface_hub's own per-blob file
lock (``.locks/models--org--name/<etag>.lock``). Metadata comes from huggingface_hub (``model_info`` with file sizes,
``get_hf_file_metadata`` for each file's ETag and commit); the body of each file is streamed here with HTTP
``Range`` requests, so a cancel can stop a file midway and the next download continues from the partial file
``blobs/<etag>.incomplete``.

Why not ``hf_hub_download``: since 1.x it downloads into a per-process temporary file that it deletes on failure, so
it cannot resume, and it cannot be stopped midway. Its reason (``flock`` silently not locking on some network file
systems, so two processes could append to one partial file) is covered here by checking each LFS file's sha256 (its
ETag) before it becomes a blob: a corrupt partial file is removed, never cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmdesk.engine.errors import EngineError
from llmdesk.engine.types import LoadProgress

DEFAULT_TIMEOUT_S = 10.0
"""Seconds to wait for a connection or for the next bytes of a response before giving up."""

RECENT_LIMIT = 12

_TRUE = {"1", "ON", "YES", "TRUE"}
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")

# Files a causal LM needs to be loaded by transformers: config, tokenizer, chat template and weights. Everything
# else in a repo (ONNX/GGUF/TF/Flax exports, images, the "original/" consolidated checkpoints) is left out.
_NEEDED_EXACT = {
    "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "tokenizer.model",
    "special_tokens_map.json", "added_tokens.json", "vocab.json", "vocab.txt", "merges.txt", "chat_template.jinja",
    "chat_template.json", "spiece.model", "sentencepiece.bpe.model", "tokenizer.tiktoken", "qwen.tiktoken",
}
_SAFETENSORS = re.compile(r"^model(-\d+-of-\d+)?\.safetensors$|^model\.safetensors\.index\.json$")
_PYTORCH_BIN = re.compile(r"^pytorch_model(-\d+-of-\d+)?\.bin$|^pytorch_model\.bin\.index\.json$")
_CODE = re.compile(r"^[A-Za-z0-9_]+\.py$")  # remote code, used only with trust_remote_code


# --------------------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RemoteFile:
    """One file of a model on the Hub.

    Attributes:
        name: path inside the repo, e.g. ``model-00001-of-00002.safetensors``.
        size: bytes, or None when the Hub did not say.
        etag: the blob name in the cache (the LFS sha256, or the git blob id), or None when unknown.
        cached: the file is already in the cache for this commit.
        partial_bytes: bytes of an interrupted download of this file already on disk.
    """

    name: str
    size: int | None = None
    etag: str | None = None
    cached: bool = False
    partial_bytes: int = 0


@dataclass(frozen=True)
class ModelAvailability:
    """Where a model is and what it would take to get it.

    Attributes:
        model: what the user asked for (a Hub id or a folder).
        status: "local" (a folder on disk), "cached" (complete in the Hugging Face cache), or "download" (some files
            must be fetched; :attr:`missing_bytes` says how much).
        path: the folder to load from: the local folder or the cache snapshot; None while files are missing.
        revision: the branch, tag or commit asked for ("main" by default).
        commit: the commit the files belong to, when known.
        files: for "download", the files the model needs (already cached ones flagged).
        total_bytes: bytes of the model's files (weights, config, tokenizer).
        missing_bytes: bytes still to download (partial files already on disk subtracted).
        cache_dir: the Hugging Face cache folder that was searched.
    """

    model: str
    status: str
    path: Path | None
    revision: str = "main"
    commit: str | None = None
    files: tuple[RemoteFile, ...] = ()
    total_bytes: int = 0
    missing_bytes: int = 0
    cache_dir: Path | None = None

    @property
    def needs_download(self) -> bool:
        return self.status == "download"

    @property
    def resumable_bytes(self) -> int:
        """Bytes of interrupted downloads already on disk that a new download continues from."""
        return sum(f.partial_bytes for f in self.files if not f.cached)

    def describe(self) -> str:
        """One sentence for the window: where the model is, or how much must be downloaded."""
        if self.status == "local":
            return f"Local folder {self.path} ({format_bytes(self.total_bytes)})."
        if self.status == "cached":
            return f"{self.model} is in the Hugging Face cache ({format_bytes(self.total_bytes)})."
        missing = [f for f in self.files if not f.cached]
        text = (f"{self.model} is not downloaded yet: {format_bytes(self.missing_bytes)} to download "
                f"({len(missing)} file{'s' if len(missing) != 1 else ''}) into {self.cache_dir}.")
        if self.resumable_bytes:
            text += f" {format_bytes(self.resumable_bytes)} from an interrupted download will be reused."
        return text


@dataclass(frozen=True)
class DownloadProgress:
    """How a download is going; sent at most every ``report_interval`` seconds and after each file.

    Attributes:
        file: the file being fetched.
        file_index: its 1-based position among the files to fetch; file_count: how many there are.
        done_bytes: bytes on disk of everything to fetch (resumed bytes included); total_bytes: all of it.
        bytes_per_s: recent speed (bytes received in the last few seconds), 0 before there is any.
        eta_s: seconds left at that speed, or None while unknown.
        resumed_bytes: bytes that were already on disk from an earlier, interrupted download.
    """

    file: str
    file_index: int
    file_count: int
    done_bytes: int
    total_bytes: int
    bytes_per_s: float = 0.0
    eta_s: float | None = None
    resumed_bytes: int = 0

    @property
    def fraction(self) -> float:
        return min(1.0, self.done_bytes / self.total_bytes) if self.total_bytes else 0.0

    def describe(self) -> str:
        """e.g. ``1.2 GiB of 7.1 GiB · 45.3 MiB/s · 2 min 11 s left``."""
        parts = [f"{format_bytes(self.done_bytes)} of {format_bytes(self.total_bytes)}"]
        if self.bytes_per_s > 0:
            parts.append(f"{format_bytes(self.bytes_per_s)}/s")
        if self.eta_s is not None:
            parts.append(f"{format_duration(self.eta_s)} left")
        return " · ".join(parts)

    def to_load_progress(self) -> LoadProgress:
        """The same progress as the engine's :class:`LoadProgress` (stage "download", counts in bytes)."""
        return LoadProgress("download", self.done_bytes, self.total_bytes,
                            f"Downloading {self.file} ({self.file_index}/{self.file_count}): {self.describe()}")


class DownloadCancelled(Exception):
    """The download was cancelled; the partial file stays on disk and the next download continues from it."""


@dataclass(frozen=True)
class CachedModel:
    """A model found in the local Hugging Face cache.

    Attributes:
        repo_id: its Hub id; path: the newest snapshot folder; size_bytes: bytes on disk for the repo;
        last_used: seconds since the epoch of the last access or modification.
    """

    repo_id: str
    path: Path
    size_bytes: int
    last_used: float


# --------------------------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------------------------

def hub_cache_dir() -> Path:
    """The Hugging Face hub cache folder, from the environment as it is now (HF_HUB_CACHE, HF_HOME, XDG)."""
    env = os.environ
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if env.get(var):
            return Path(os.path.expandvars(os.path.expanduser(env[var])))
    if env.get("HF_HOME"):
        return Path(os.path.expandvars(os.path.expanduser(env["HF_HOME"]))) / "hub"
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "huggingface" / "hub"


def is_offline() -> bool:
    """True when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) asks for no network access."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        value = os.environ.get(var)
        if value is not None and value.strip():
            return value.strip().upper() in _TRUE
    return False


def hub_endpoint() -> str:
    """The Hub's base URL: HF_ENDPOINT, or https://huggingface.co."""
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


HUB_PROBE_TIMEOUT_S = 1.0


def hub_unreachable_reason(timeout: float = HUB_PROBE_TIMEOUT_S) -> str | None:
    """None when the Hub answers within ``timeout`` seconds, else why not (no network, no DNS, a stalled
    connection). Any HTTP answer, even an error status, counts as an answer; proxies set in the environment are
    honoured (the request goes through huggingface_hub's own HTTP session). The request runs on a daemon thread so
    that a slow name lookup (which no HTTP timeout covers) cannot hold the caller past ``timeout``."""
    import socket
    from urllib.parse import urlsplit

    outcome: list[BaseException | None] = []
    proxied = any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"))

    def request() -> None:
        try:
            url = urlsplit(hub_endpoint())
            if not proxied and url.hostname:  # a name that does not resolve: no need to set up TLS to know
                try:
                    socket.getaddrinfo(url.hostname, url.port or 443, type=socket.SOCK_STREAM)
                except socket.gaierror as exc:
                    raise ConnectionError(f"cannot resolve {url.hostname}: {exc.strerror or exc}") from exc
            from huggingface_hub.utils import get_session

            get_session().head(hub_endpoint(), timeout=timeout)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            outcome.append(exc)

    worker = threading.Thread(target=request, name="llmdesk-hub-probe", daemon=True)
    worker.start()
    worker.join(timeout + 0.1)
    if not outcome:
        return f"no answer within {timeout:g} s"
    exc = outcome[0]
    if exc is None or not _is_transport_error(exc):
        return None
    return str(exc) or type(exc).__name__


def probe_hub(model: str, timeout: float = HUB_PROBE_TIMEOUT_S) -> None:
    """Before a download of ``model`` is tried: raise at once when the Hub cannot be reached.

    Raises:
        EngineError: kind "offline", naming the model and the reason.
    """
    if is_offline():
        raise _offline_error(model, hub_cache_dir())
    reason = hub_unreachable_reason(timeout)
    if reason is not None:
        raise EngineError("offline", f"'{model}' is not in the local Hugging Face cache and the Hub "
                                     f"({hub_endpoint()}) cannot be reached: {reason}.",
                          "Connect to the internet to download it, or choose a local model folder.")


def looks_like_path(model: str) -> bool:
    """Whether ``model`` names a folder rather than a Hub id (absolute, ~, ./, ../, backslashes, or exists)."""
    text = model.strip()
    if not text:
        return False
    if text.startswith(("/", "~", ".", "\\")) or "\\" in text or re.match(r"^[A-Za-z]:[\\/]", text):
        return True
    return text.count("/") > 1 or Path(text).expanduser().is_dir()


# --------------------------------------------------------------------------------------------------------------
# What is where
# --------------------------------------------------------------------------------------------------------------

def check_model(model: str, revision: str = "main", *, timeout: float = DEFAULT_TIMEOUT_S) -> ModelAvailability:
    """Find ``model``: a local folder, a complete copy in the Hugging Face cache, or what must be downloaded.

    A local folder or a cached copy is answered from disk with no network access. Otherwise the Hub is asked for the
    file list and sizes (one request, ``timeout`` seconds at most).

    Raises:
        EngineError: kind "not_found" (no such folder, not a valid id, no such repo or revision, or a folder/repo
            without a model), "offline" (not cached and offline mode is on, or the Hub cannot be reached).
    """
    model = model.strip()
    revision = (revision or "main").strip() or "main"
    if not model:
        raise EngineError("not_found", "No model given.", "Type a Hub id such as org/name, or choose a folder.")
    if looks_like_path(model):
        return _check_folder(model)
    if not _REPO_ID.match(model):
        raise EngineError("not_found", f"'{model}' is neither an existing folder nor a Hugging Face Hub id.",
                          "A Hub id looks like org/name; a folder must exist and hold config.json.")
    cache = hub_cache_dir()
    snapshot = cached_snapshot(model, revision)
    if snapshot is not None:
        return ModelAvailability(model, "cached", snapshot, revision, snapshot.name,
                                 total_bytes=_model_bytes(snapshot), cache_dir=cache)
    if is_offline():
        raise _offline_error(model, cache)
    info = _call_hub(lambda: _hf_api().model_info(model, revision=revision, files_metadata=True,
                                                  timeout=timeout), model)
    siblings = [(s.rfilename, s.size, (s.lfs.sha256 if s.lfs else s.blob_id)) for s in (info.siblings or [])]
    names = select_files(name for name, _, _ in siblings)
    if "config.json" not in names or not any(_is_weight(n) for n in names):
        raise EngineError("not_found", f"{model} has no config.json and safetensors/PyTorch weights on the Hub.",
                          "Pick a repo that holds a transformers model (not only GGUF or ONNX files).")
    commit = info.sha
    storage = cache / _repo_folder(model)
    by_name = {name: (size, etag) for name, size, etag in siblings}
    files = []
    for name in names:
        size, etag = by_name[name]
        cached = bool(commit) and (storage / "snapshots" / commit / name).exists()
        if not cached and etag and (storage / "blobs" / etag).is_file():
            cached = True  # same content already in the cache under another commit: only the link is missing
        partial = 0
        if not cached and etag:
            with contextlib.suppress(OSError):
                partial = (storage / "blobs" / f"{etag}.incomplete").stat().st_size
        files.append(RemoteFile(name, size, etag, cached, partial))
    total = sum(f.size or 0 for f in files)
    missing = sum(max(0, (f.size or 0) - f.partial_bytes) for f in files if not f.cached)
    return ModelAvailability(model, "download", None, revision, commit, tuple(files), total, missing, cache)


def cached_snapshot(repo_id: str, revision: str = "main") -> Path | None:
    """The cache's snapshot folder for ``repo_id`` at ``revision`` if it holds a complete model, else None.

    Complete means config.json, a tokenizer file and every weight file (all shards of a sharded checkpoint) are
    present.
    """
    if not (hub_cache_dir() / _repo_folder(repo_id)).is_dir():
        return None  # nothing of it in the cache (answered without importing huggingface_hub)
    from huggingface_hub import try_to_load_from_cache

    try:
        config = try_to_load_from_cache(repo_id, "config.json", cache_dir=hub_cache_dir(), revision=revision)
    except ValueError:  # not a valid repo id
        return None
    if not isinstance(config, str):
        return None
    snapshot = Path(config).parent
    return snapshot if _has_complete_weights(snapshot) else None


def list_cached_models() -> list[CachedModel]:
    """Models in the local Hugging Face cache that have config.json and weights, most recently used first."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir(hub_cache_dir())
    except (CacheNotFound, OSError):
        return []
    found: list[CachedModel] = []
    for repo in info.repos:
        if repo.repo_type != "model":
            continue
        complete = [r for r in repo.revisions if _has_complete_weights(Path(r.snapshot_path))]
        if not complete:
            continue
        newest = max(complete, key=lambda r: r.last_modified)
        found.append(CachedModel(repo.repo_id, Path(newest.snapshot_path), repo.size_on_disk,
                                 max(repo.last_accessed, repo.last_modified)))
    found.sort(key=lambda m: m.last_used, reverse=True)
    return found


def select_files(names: Iterable[str]) -> list[str]:
    """The files of a repo that loading a causal LM needs: config, tokenizer files, chat template and weights.

    Safetensors are preferred; PyTorch ``.bin`` weights are taken only when there are no safetensors. Files in
    sub-folders (exports, original checkpoints) are left out. Python files are kept (they matter only with
    trust_remote_code, and are small). The weights come last in the list, so a download that stops early never
    leaves a snapshot that looks complete.
    """
    top = sorted(n for n in names if "/" not in n)
    has_safetensors = any(_SAFETENSORS.match(n) for n in top)
    chosen = []
    for name in top:
        if name in _NEEDED_EXACT or _CODE.match(name) or (name.startswith("tokenizer") and name.endswith(".json")):
            chosen.append(name)
        elif _SAFETENSORS.match(name) or (not has_safetensors and _PYTORCH_BIN.match(name)):
            chosen.append(name)
    return sorted(chosen, key=lambda n: (_is_weight(n), n))  # small files first, the weights last


def _check_folder(model: str) -> ModelAvailability:
    folder = Path(model).expanduser()
    if not folder.is_dir():
        raise EngineError("not_found", f"The folder {folder} does not exist.", "Choose an existing model folder.")
    if not (folder / "config.json").is_file():
        raise EngineError("not_found", f"The folder {folder} has no config.json, so it is not a transformers model.",
                          "Choose the folder that holds config.json, the tokenizer files and the weights.")
    if _weight_files(folder) is not None and not any((folder / t).is_file() for t in _TOKENIZER_FILES):
        raise EngineError("not_found", f"The folder {folder} has no tokenizer (tokenizer.json or tokenizer.model).",
                          "Copy the tokenizer files from the model's repo into the folder.")
    if not _has_complete_weights(folder):
        raise EngineError("not_found", f"The folder {folder} has no complete set of weights "
                          "(model.safetensors, its shards, or pytorch_model.bin).",
                          "Finish copying the model, or choose another folder.")
    return ModelAvailability(model, "local", folder.resolve(), total_bytes=_model_bytes(folder))


def _is_weight(name: str) -> bool:
    return name.endswith((".safetensors", ".bin")) and bool(_SAFETENSORS.match(name) or _PYTORCH_BIN.match(name))


def _weight_files(folder: Path) -> list[Path] | None:
    """The weight files of a model folder (all shards), or None when some are missing or there are none."""
    for index_name in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
        index = folder / index_name
        if index.is_file():
            try:
                shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
            except (OSError, ValueError, KeyError, AttributeError):
                return None
            paths = [folder / s for s in shards]
            return paths if paths and all(p.is_file() for p in paths) else None
    for single in ("model.safetensors", "pytorch_model.bin"):
        if (folder / single).is_file():
            return [folder / single]
    return None


_TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "vocab.txt", "spiece.model",
                    "tokenizer.tiktoken", "qwen.tiktoken", "sentencepiece.bpe.model")


def _has_complete_weights(folder: Path) -> bool:
    """config.json, a tokenizer and every weight file are there. (Downloads fetch the weights last, so a download
    that stopped early never looks complete.)"""
    return ((folder / "config.json").is_file() and any((folder / t).is_file() for t in _TOKENIZER_FILES)
            and _weight_files(folder) is not None)


def _model_bytes(folder: Path) -> int:
    """Bytes of the files a model folder needs (the same selection a download fetches)."""
    names = select_files(p.name for p in folder.iterdir() if p.is_file())
    return sum((folder / n).stat().st_size for n in names)


# --------------------------------------------------------------------------------------------------------------
# Download
# --------------------------------------------------------------------------------------------------------------

def download_model(model: str, revision: str = "main", *,
                   progress: Callable[[DownloadProgress], None] | None = None,
                   cancel: threading.Event | None = None, timeout: float = DEFAULT_TIMEOUT_S,
                   availability: ModelAvailability | None = None, retries: int = 3,
                   report_interval: float = 0.1) -> Path:
    """Download the files ``model`` needs into the Hugging Face cache; return the snapshot folder to load from.

    A local folder or an already cached model returns at once. Partial files left by an interrupted or cancelled
    download (ours or huggingface_hub's) are continued with an HTTP Range request. A connection that drops midway is
    resumed up to ``retries`` times before the error is raised.

    Args:
        model: a Hub id (a folder is accepted and returned as is).
        revision: branch, tag or commit.
        progress: called on this thread with :class:`DownloadProgress`, at most every ``report_interval`` seconds.
        cancel: when set, the download stops after the current network read and raises :class:`DownloadCancelled`.
        timeout: seconds to wait for a connection or for the next bytes.
        availability: a result of :func:`check_model` to reuse (saves one request).
        retries: how many times a dropped connection is resumed.
        report_interval: seconds between progress reports.

    Raises:
        DownloadCancelled: ``cancel`` was set.
        EngineError: "offline", "not_found", or "download_failed" (disk full, write error, size or checksum
            mismatch, server error).
    """
    cancel = cancel or threading.Event()
    avail = availability if availability is not None else check_model(model, revision, timeout=timeout)
    if not avail.needs_download:
        assert avail.path is not None
        return avail.path
    if is_offline():
        raise _offline_error(avail.model, avail.cache_dir or hub_cache_dir())
    cache = avail.cache_dir or hub_cache_dir()
    storage = cache / _repo_folder(avail.model)
    commit = avail.commit or avail.revision
    to_fetch = [f for f in avail.files if not f.cached]
    _check_disk_space(storage, avail.missing_bytes)
    meter = _Meter(total=avail.total_bytes, done=avail.total_bytes - sum(f.size or 0 for f in to_fetch),
                   file_count=len(to_fetch), callback=progress, interval=report_interval)
    snapshot = storage / "snapshots" / commit
    for f in avail.files:
        if f.cached:
            target = snapshot / f.name
            if not target.exists() and f.etag and (storage / "blobs" / f.etag).is_file():
                _link(storage / "blobs" / f.etag, target)
    for index, f in enumerate(to_fetch, start=1):
        if cancel.is_set():
            raise DownloadCancelled(f"Download of {avail.model} cancelled.")
        meter.start_file(f.name, index)
        _download_file(avail.model, commit, f, storage, meter, cancel, timeout, retries)
    if avail.revision != commit and avail.commit:
        ref = storage / "refs" / avail.revision
        ref.parent.mkdir(parents=True, exist_ok=True)
        tmp = ref.with_name(f"{ref.name}.{os.getpid()}.tmp")
        tmp.write_text(commit)
        os.replace(tmp, ref)
    meter.report(force=True)
    if not _has_complete_weights(snapshot):
        raise EngineError("download_failed", f"{avail.model} was downloaded but its weights are incomplete in "
                          f"{snapshot}.", "Try the download again.")
    return snapshot


def _download_file(repo_id: str, commit: str, f: RemoteFile, storage: Path, meter: _Meter,
                   cancel: threading.Event, timeout: float, retries: int) -> None:
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    endpoint = hub_endpoint()
    url = hf_hub_url(repo_id, f.name, revision=commit, endpoint=endpoint)
    meta = _call_hub(lambda: get_hf_file_metadata(url, timeout=timeout, endpoint=endpoint), repo_id)
    etag = meta.etag or f.etag
    if not etag:
        raise EngineError("download_failed", f"The Hub sent no ETag for {f.name}, so it cannot be cached.")
    size = meta.size if meta.size is not None else f.size
    commit = meta.commit_hash or commit
    blob = storage / "blobs" / etag
    pointer = storage / "snapshots" / commit / f.name
    blob.parent.mkdir(parents=True, exist_ok=True)
    lock_path = storage.parent / ".locks" / storage.name / f"{etag}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock, Timeout

    try:
        with FileLock(str(lock_path), timeout=timeout):
            if not blob.is_file():
                _fetch_blob(meta.location, blob, size, etag, f.name, meter, cancel, timeout, retries)
    except Timeout:
        raise EngineError("download_failed", f"{f.name} is being downloaded by another program (lock {lock_path}).",
                          "Wait for it to finish, then try again.") from None
    meter.file_done(size or blob.stat().st_size)
    _link(blob, pointer)


def _fetch_blob(location: str, blob: Path, size: int | None, etag: str, name: str, meter: _Meter,
                cancel: threading.Event, timeout: float, retries: int) -> None:
    """Stream ``location`` into ``<blob>.incomplete`` (continuing what is there), verify it, rename it to ``blob``."""
    from huggingface_hub import get_session
    from huggingface_hub.utils import build_hf_headers, hf_raise_for_status

    incomplete = blob.with_name(blob.name + ".incomplete")
    want_sha = etag if re.fullmatch(r"[0-9a-f]{64}", etag) else None  # LFS etags are the content's sha256
    digest, hashed = hashlib.sha256(), 0  # hashed while writing: no second pass over a multi-GB file
    attempts_left = retries
    while True:
        resume = incomplete.stat().st_size if incomplete.exists() else 0
        if size is not None and resume > size:  # not ours to continue: start over
            incomplete.unlink()
            resume = 0
        meter.set_file_bytes(resume, resumed=True)
        if want_sha is not None and hashed != resume:
            digest, hashed = _sha256_prefix(incomplete, resume, cancel)  # a partial file from an earlier run
        if size is not None and resume == size:
            break
        headers = build_hf_headers()
        headers["Accept-Encoding"] = "identity"
        if resume:
            headers["Range"] = f"bytes={resume}-"
        received = 0
        try:
            with get_session().stream("GET", location, headers=headers, timeout=timeout,
                                      follow_redirects=True) as response:
                hf_raise_for_status(response)
                mode = "ab"
                if resume and response.status_code != 206:  # the server ignored Range: start over
                    mode, resume = "wb", 0
                    digest, hashed = hashlib.sha256(), 0
                    meter.set_file_bytes(0, resumed=True)
                with open(incomplete, mode) as out:
                    for chunk in response.iter_bytes():
                        if cancel.is_set():
                            raise DownloadCancelled(f"Download cancelled during {name}.")
                        if chunk:
                            out.write(chunk)
                            if want_sha is not None:
                                digest.update(chunk)
                                hashed += len(chunk)
                            received += len(chunk)
                            meter.add(len(chunk))
            break
        except DownloadCancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - sorted by _translate
            error = _translate(exc, name)
            if error.kind == "offline" and received > 0 and attempts_left > 0 and not cancel.is_set():
                attempts_left -= 1  # the connection dropped midway: continue from what we have
                continue
            raise error from exc
    actual = incomplete.stat().st_size
    if size is not None and actual != size:
        raise EngineError("download_failed", f"{name}: received {actual} bytes, the Hub said {size}.",
                          "Try the download again; it continues from what is on disk.")
    if want_sha is not None and (hashed != actual or digest.hexdigest() != want_sha):
        incomplete.unlink()
        raise EngineError("download_failed", f"{name} is corrupt: its checksum does not match the Hub's.",
                          "The broken file was removed; try the download again.")
    os.replace(incomplete, blob)  # created by open(): already 0o666 & ~umask, like the hub's blobs


def _sha256_prefix(path: Path, length: int, cancel: threading.Event) -> tuple[Any, int]:
    """A sha256 object fed with the first ``length`` bytes of ``path``, and that length."""
    digest = hashlib.sha256()
    left = length
    with open(path, "rb") as f:
        while left > 0:
            if cancel.is_set():
                raise DownloadCancelled("Download cancelled while checking the partial file.")
            block = f.read(min(left, 8 << 20))
            if not block:
                break
            digest.update(block)
            left -= len(block)
    return digest, length - left


def _link(blob: Path, pointer: Path) -> None:
    """Point ``pointer`` at ``blob`` with a relative symlink (a copy where symlinks are not allowed)."""
    pointer.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        pointer.unlink()
    try:
        os.symlink(os.path.relpath(blob, pointer.parent), pointer)
    except OSError:
        shutil.copyfile(blob, pointer)


def _check_disk_space(storage: Path, needed: int) -> None:
    probe = storage
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return
    if needed > free:
        raise EngineError("download_failed", f"Not enough disk space: the download needs {format_bytes(needed)}, "
                          f"{format_bytes(free)} is free in {probe}.",
                          "Free some space, or set HF_HOME to a folder on a larger disk.")


@dataclass
class _Meter:
    """Counts bytes and sends :class:`DownloadProgress` with a speed over the last few seconds."""

    total: int
    done: int
    file_count: int
    callback: Callable[[DownloadProgress], None] | None
    interval: float
    window_s: float = 5.0
    file: str = ""
    file_index: int = 0
    resumed: int = 0
    _file_bytes: int = 0
    _samples: deque = field(default_factory=deque)
    _last_report: float = 0.0

    def start_file(self, name: str, index: int) -> None:
        self.file, self.file_index, self._file_bytes = name, index, 0
        self.report(force=True)

    def set_file_bytes(self, count: int, *, resumed: bool) -> None:
        """The current file has ``count`` bytes on disk (from an earlier attempt when ``resumed``)."""
        delta = count - self._file_bytes
        self.done += delta
        if resumed:
            self.resumed += delta
        self._file_bytes = count

    def add(self, count: int) -> None:
        self.done += count
        self._file_bytes += count
        now = time.monotonic()
        self._samples.append((now, count))
        self.report()

    def file_done(self, size: int) -> None:
        self.set_file_bytes(size, resumed=False)
        self.report(force=True)

    def speed(self, now: float) -> float:
        while self._samples and self._samples[0][0] < now - self.window_s:
            self._samples.popleft()
        if not self._samples:
            return 0.0
        span = max(now - self._samples[0][0], 0.5)
        return sum(c for _, c in self._samples) / span

    def report(self, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and now - self._last_report < self.interval:
            return
        self._last_report = now
        speed = self.speed(now)
        left = max(0, self.total - self.done)
        eta = left / speed if speed > 0 else (0.0 if left == 0 else None)
        self.callback(DownloadProgress(self.file, self.file_index, self.file_count, self.done, self.total,
                                       speed, eta, self.resumed))


# --------------------------------------------------------------------------------------------------------------
# Hub calls and errors
# --------------------------------------------------------------------------------------------------------------

def _hf_api() -> Any:
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub_endpoint())


def _repo_folder(repo_id: str) -> str:
    return "models--" + repo_id.replace("/", "--")


def _offline_error(model: str, cache: Path) -> EngineError:
    return EngineError("offline", f"{model} is not in the Hugging Face cache ({cache}) and offline mode is on "
                       "(HF_HUB_OFFLINE), so it cannot be downloaded.",
                       "Go online and unset HF_HUB_OFFLINE to download it, or choose a local model folder.")


def _call_hub(call: Callable[[], Any], model: str) -> Any:
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - sorted by _translate
        raise _translate(exc, model) from exc


def _translate(exc: BaseException, what: str) -> EngineError:
    """A readable :class:`EngineError` for an exception from huggingface_hub or the HTTP client."""
    from huggingface_hub import errors as hub_errors

    if isinstance(exc, EngineError):
        return exc
    if isinstance(exc, hub_errors.OfflineModeIsEnabled):
        return _offline_error(what, hub_cache_dir())
    if isinstance(exc, hub_errors.GatedRepoError):
        return EngineError("not_found", f"{what} is a gated model: its license must be accepted before download.",
                           "Accept it on the model's Hub page, then log in with `hf auth login`.")
    if isinstance(exc, hub_errors.RepositoryNotFoundError):
        return EngineError("not_found", f"{what} was not found on the Hugging Face Hub (or it is private).",
                           "Check the spelling (org/name), or log in with `hf auth login` for a private model.")
    if isinstance(exc, hub_errors.RevisionNotFoundError):
        return EngineError("not_found", f"{what}: that revision (branch, tag or commit) does not exist.")
    if isinstance(exc, hub_errors.EntryNotFoundError):
        return EngineError("not_found", f"{what}: a file is missing on the Hub.")
    if isinstance(exc, hub_errors.HfHubHTTPError):
        return EngineError("download_failed", f"The Hugging Face Hub answered with an error for {what}: "
                           f"{str(exc).splitlines()[0]}", "Try again later.")
    if _is_transport_error(exc):
        return EngineError("offline", f"Could not reach {hub_endpoint()} for {what}: {exc or type(exc).__name__}.",
                           "Check the network connection and try again (the download continues where it stopped), "
                           "or choose a local model folder.")
    if isinstance(exc, OSError):
        return EngineError("download_failed", f"Could not write {what} to the disk: {exc}.",
                           "Check free space and permissions of the Hugging Face cache folder (HF_HOME).")
    return EngineError("download_failed", f"Download of {what} failed: {type(exc).__name__}: {exc}")


def _is_transport_error(exc: BaseException) -> bool:
    """Connection refused, DNS failure, timeout, dropped connection: from whichever HTTP client the hub uses."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    for module_name in ("httpx2", "httpx"):
        module = sys.modules.get(module_name)  # an exception from a client means the client is imported already
        if module is not None and isinstance(exc, getattr(module, "TransportError", ())):
            return True
    return False


# --------------------------------------------------------------------------------------------------------------
# Recent models and formatting
# --------------------------------------------------------------------------------------------------------------

def recent_models_path() -> Path:
    from llmdesk.core import paths

    return paths.data_dir() / "recent_models.json"


RECENT_MAX_BYTES = 256 * 1024  # a dozen model ids; anything larger is not this file


def load_recent_models() -> list[str]:
    """Models the user loaded before, newest first. Never raises: a file that is not a JSON list of model ids
    (binary junk, deep nesting, too large, wrong types) is moved aside (``recent_models.json.corrupt-<time>``),
    logged, and counts as empty; entries that are not non-empty text are skipped."""
    import logging

    path = recent_models_path()
    raw = b""
    try:
        if path.is_file():  # not a FIFO or a device, whose reading could block
            with open(path, "rb") as fh:
                raw = fh.read(RECENT_MAX_BYTES + 1)
        elif not path.exists():
            return []
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot read %s: %s", path, exc)
        return []
    try:
        if not path.is_file():
            raise ValueError("not a regular file")
        if len(raw) > RECENT_MAX_BYTES:
            raise ValueError(f"larger than {RECENT_MAX_BYTES // 1024} KiB")
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, list):
            raise ValueError(f"holds a {type(data).__name__}, not a list")
    except (ValueError, RecursionError) as exc:
        from llmdesk.core.atomic import move_aside

        try:
            aside: Path | str = move_aside(path)
        except OSError as move_exc:
            aside = f"(could not be moved aside: {move_exc})"
        logging.getLogger(__name__).warning("the recent models list %s is not valid (%s); moved to %s, starting "
                                            "with an empty list", path, str(exc)[:200], aside)
        return []
    return [m for m in data if isinstance(m, str) and m.strip() and len(m) < 4096][:RECENT_LIMIT]


def remember_model(model: str) -> list[str]:
    """Put ``model`` first in the recent list (written atomically); return the new list."""
    from llmdesk.core.atomic import atomic_write_text

    model = model.strip()
    models = [model] + [m for m in load_recent_models() if m != model]
    models = models[:RECENT_LIMIT]
    path = recent_models_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(models, indent=1))
    return models


def format_bytes(count: float) -> str:
    """``1536`` -> ``1.5 KiB``; binary units, one decimal."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def format_duration(seconds: float) -> str:
    """``131`` -> ``2 min 11 s``; ``4000`` -> ``1 h 6 min``."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"
