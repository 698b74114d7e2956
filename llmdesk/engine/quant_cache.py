"""Quantized weights kept between runs, so quantizing a model is paid once.

One entry per (model, revision, precision, device kind) under ``<user cache>/llmdesk/quantized``: a safetensors
file of the quantized model's whole state (packed int8/int4 linears, bfloat16 embeddings and norms) and a JSON
manifest beside it. The manifest holds what the entry was made from (model, revision or a fingerprint of a local
folder's weight files, precision, device kind, torch version, llmdesk's format version), the layer plan, the
file's size and its BLAKE3 hash (SHA-256 when the blake3 package is missing). An entry is used only when every one
of these matches and the file hashes to the recorded value; anything else (a damaged, truncated or stale file, an
unreadable manifest) is reported as the reason and the entry is rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from llmdesk.core import paths
from llmdesk.core.atomic import WriteError, atomic_write_text
from llmdesk.engine.quantize import LayerPlan

FORMAT_VERSION = 1
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".json")


def cache_root() -> Path:
    """``<user cache>/llmdesk/quantized``."""
    return paths.cache_dir() / "quantized"


def folder_fingerprint(folder: Path) -> str:
    """A hash of the names, sizes and modification times of a local model folder's weight and config files:
    it changes when the weights are replaced."""
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in _WEIGHT_SUFFIXES:
            st = path.stat()
            h.update(f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]


@dataclass(frozen=True)
class CacheKey:
    """What a cache entry was made from; every field must match for the entry to be used."""

    model: str
    revision: str
    precision: str
    device_kind: str
    torch_version: str
    format_version: int = FORMAT_VERSION

    @classmethod
    def for_model(cls, model: str, source: str, revision: str | None, precision: str, device: str) -> CacheKey:
        """The key for ``model`` (a Hub id or folder; ``source`` is the resolved folder or id). A local folder is
        keyed by :func:`folder_fingerprint`, a Hub model by its commit."""
        folder = Path(source)
        if folder.is_dir():
            rev = "files:" + folder_fingerprint(folder)
            model = str(folder.resolve())
        else:
            rev = revision or "unknown"
        return cls(model, rev, precision, device.split(":")[0], torch.__version__.split("+")[0])

    def stem(self) -> str:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", self.model.strip("/"))[-60:].strip("_") or "model"
        digest = hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]
        return f"{slug}--{self.precision}-{self.device_kind}--{digest}"

    def prefix(self) -> str:
        return self.stem().rsplit("--", 1)[0] + "--"


@dataclass
class CacheLookup:
    """The result of :func:`load`: ``state`` and ``plans`` on a hit, else None and the reason in ``reason``."""

    status: str  # "hit", "missing", "damaged", "stale"
    reason: str = ""
    state: dict[str, torch.Tensor] | None = None
    plans: list[LayerPlan] | None = None
    path: Path | None = None


def _hash_file(path: Path) -> tuple[str, str]:
    try:
        import blake3

        return "blake3", blake3.blake3(max_threads=blake3.blake3.AUTO).update_mmap(str(path)).hexdigest()
    except ImportError:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 24), b""):
                h.update(chunk)
        return "sha256", h.hexdigest()


def _hash_with(path: Path, algorithm: str) -> str:
    if algorithm == "blake3":
        import blake3

        return blake3.blake3(max_threads=blake3.blake3.AUTO).update_mmap(str(path)).hexdigest()
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 24), b""):
            h.update(chunk)
    return h.hexdigest()


def entry_paths(key: CacheKey, root: Path | None = None) -> tuple[Path, Path]:
    """(weights file, manifest) for ``key``."""
    root = root or cache_root()
    stem = key.stem()
    return root / f"{stem}.safetensors", root / f"{stem}.json"


def load(key: CacheKey, root: Path | None = None) -> CacheLookup:
    """Read the entry for ``key`` if it exists, matches and is intact. Never raises for a bad entry: the reason
    is in the result (the caller rebuilds)."""
    weights, manifest_path = entry_paths(key, root)
    if not weights.exists() and not manifest_path.exists():
        return CacheLookup("missing", "no quantized copy yet")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        recorded = CacheKey(**manifest["key"])
        plans = [LayerPlan(**p) for p in manifest["plans"]]
        size, algorithm, digest = int(manifest["size"]), str(manifest["hash_algorithm"]), str(manifest["hash"])
        aliases: dict[str, str] = dict(manifest.get("aliases", {}))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return CacheLookup("damaged", f"the manifest {manifest_path.name} cannot be read ({exc})")
    if recorded != key:
        return CacheLookup("stale", "it was made from other weights or another version")
    try:
        actual_size = weights.stat().st_size
    except OSError as exc:
        return CacheLookup("damaged", f"the weights file cannot be read ({exc})")
    if actual_size != size:
        return CacheLookup("damaged", f"the weights file has {actual_size} bytes, the manifest says {size}")
    try:
        if _hash_with(weights, algorithm) != digest:
            return CacheLookup("damaged", "the weights file does not match its recorded hash")
        from safetensors.torch import load_file

        state = load_file(str(weights))
        for name in list(state):  # torch's CPU kernels use aligned vector loads; safetensors aligns to 8 bytes
            if state[name].data_ptr() % 64:
                state[name] = state[name].clone()
    except Exception as exc:  # noqa: BLE001 - any unreadable file is rebuilt
        return CacheLookup("damaged", f"the weights file cannot be read ({type(exc).__name__}: {exc})")
    for alias, target in aliases.items():
        if target in state:
            state[alias] = state[target]
    return CacheLookup("hit", "", state, plans, weights)


def save(key: CacheKey, model: torch.nn.Module, plans: list[LayerPlan], root: Path | None = None) -> Path:
    """Write ``model``'s state as the entry for ``key`` (atomically: temp files, then renames, the manifest last)
    and remove older entries for the same model, precision and device kind.

    Raises:
        WriteError: the folder is unwritable or the disk is (nearly) full; nothing partial is left behind.
    """
    from safetensors.torch import save_file

    root = root or cache_root()
    weights, manifest_path = entry_paths(key, root)
    state: dict[str, torch.Tensor] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple[int, int, tuple[int, ...]], str] = {}
    for name, tensor in model.state_dict().items():
        ident = (tensor.data_ptr(), tensor.numel(), tuple(tensor.shape))
        if ident in seen:
            aliases[name] = seen[ident]
            continue
        seen[ident] = name
        state[name] = tensor.detach().contiguous()
    needed = sum(t.numel() * t.element_size() for t in state.values())
    try:
        root.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(root).free
    except OSError as exc:
        raise WriteError(exc.errno, f"cannot write the quantized copy to {root}: {exc}") from exc
    if free < needed * 1.05 + (1 << 28):
        raise WriteError(28, f"not enough free disk space in {root} for the quantized copy ({needed / 1e9:.1f} GB "
                             f"needed, {free / 1e9:.1f} GB free)")
    tmp = weights.with_name(f".{weights.name}.{os.getpid()}.tmp")
    try:
        save_file(state, str(tmp), metadata={"format": "pt", "llmdesk_format": str(FORMAT_VERSION)})
        size = tmp.stat().st_size
        algorithm, digest = _hash_file(tmp)
        manifest_path.unlink(missing_ok=True)  # a weights file without its manifest is never used
        os.replace(tmp, weights)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WriteError(exc.errno, f"cannot write the quantized copy {weights}: {exc}") from exc
    manifest = {"key": asdict(key), "plans": [asdict(p) for p in plans], "size": size, "hash_algorithm": algorithm,
                "hash": digest, "aliases": aliases}
    atomic_write_text(manifest_path, json.dumps(manifest, indent=1) + "\n")
    prefix = key.prefix()
    for old in root.glob(f"{glob_escape(prefix)}*"):
        if old.name.startswith(prefix) and old not in (weights, manifest_path):
            old.unlink(missing_ok=True)
    return weights


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def remove(key: CacheKey, root: Path | None = None) -> None:
    """Delete the entry for ``key`` (both files), if any."""
    for path in entry_paths(key, root):
        path.unlink(missing_ok=True)


def describe(lookup: CacheLookup) -> dict[str, Any]:
    return {"status": lookup.status, "reason": lookup.reason, "path": str(lookup.path) if lookup.path else None}
