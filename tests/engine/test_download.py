"""The first-run download against a local stand-in for the Hub (tests/support/hub_stub.py, on 127.0.0.1 only):
availability and sizes, progress, cancel, resume with a Range request, dropped connections, offline, unreachable
Hub, and reuse of the standard Hugging Face cache by huggingface_hub itself."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest

from llmdesk.engine import download as dl
from llmdesk.engine.errors import EngineError
from tests.support.hub_stub import REPO, WEIGHTS, HubStub, allow_network, serve_tiny_model


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    allow_network(monkeypatch)


@pytest.fixture
def hub(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch):
    yield from serve_tiny_model(monkeypatch, tiny_model_dir)


def _storage() -> Path:
    return dl.hub_cache_dir() / ("models--" + REPO.replace("/", "--"))


def _incomplete(stub: HubStub) -> Path:
    return _storage() / "blobs" / (stub.repos[REPO].etag(WEIGHTS) + ".incomplete")


# ---------------------------------------------------------------------------------------------------------------

def test_cache_dir_follows_hf_home_at_call_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "elsewhere"))
    assert dl.hub_cache_dir() == tmp_path / "elsewhere" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "direct"))
    assert dl.hub_cache_dir() == tmp_path / "direct"


def test_offline_flag_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert dl.is_offline()
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    assert not dl.is_offline()


def test_select_files_keeps_what_a_causal_lm_needs() -> None:
    names = ["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
             "model.safetensors.index.json", "pytorch_model.bin", "tokenizer.json", "tokenizer_config.json",
             "tokenizer.model", "README.md", "onnx/model.onnx", "original/consolidated.00.pth", "model.gguf",
             "generation_config.json", "special_tokens_map.json", ".gitattributes", "modeling_phi3.py",
             "sample_finetune.py"]
    chosen = dl.select_files(names)
    assert "pytorch_model.bin" not in chosen  # safetensors are preferred
    assert {"config.json", "model-00001-of-00002.safetensors", "model.safetensors.index.json",
            "tokenizer.json", "tokenizer.model", "generation_config.json"} <= set(chosen)
    assert not {"README.md", "onnx/model.onnx", "original/consolidated.00.pth", "model.gguf",
                ".gitattributes"} & set(chosen)
    assert "pytorch_model.bin" in dl.select_files(["config.json", "pytorch_model.bin"])
    weights = [dl._is_weight(n) for n in chosen]
    assert weights == sorted(weights)  # the weights come last


def test_snapshot_without_tokenizer_or_all_shards_is_not_complete(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {
        "a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}))
    (tmp_path / "model-00001-of-00002.safetensors").write_bytes(b"x")
    (tmp_path / "tokenizer.json").write_text("{}")
    assert not dl._has_complete_weights(tmp_path)
    (tmp_path / "model-00002-of-00002.safetensors").write_bytes(b"x")
    assert dl._has_complete_weights(tmp_path)
    (tmp_path / "tokenizer.json").unlink()
    assert not dl._has_complete_weights(tmp_path)


def test_local_folder_is_found_without_network(tiny_model_dir: Path) -> None:
    avail = dl.check_model(str(tiny_model_dir))
    assert avail.status == "local" and not avail.needs_download
    assert avail.path == tiny_model_dir.resolve()
    assert avail.total_bytes == sum(p.stat().st_size for p in tiny_model_dir.iterdir())
    assert "Local folder" in avail.describe()


@pytest.mark.parametrize("bad, words", [
    ("/no/such/model/folder", "does not exist"),
    ("not a valid id!", "neither an existing folder nor"),
    ("", "No model given"),
])
def test_bad_model_names_are_named_in_the_error(bad: str, words: str) -> None:
    with pytest.raises(EngineError) as err:
        dl.check_model(bad)
    assert err.value.kind == "not_found"
    assert words in str(err.value)


def test_folder_without_weights_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(EngineError, match="no complete set of weights") as err:
        dl.check_model(str(tmp_path))
    assert err.value.kind == "not_found"


def test_offline_and_not_cached_gives_a_clear_message() -> None:
    # conftest runs every test with HF_HUB_OFFLINE=1 and an empty HF_HOME.
    with pytest.raises(EngineError) as err:
        dl.check_model("some-org/some-model")
    assert err.value.kind == "offline"
    text = str(err.value)
    assert "not in the Hugging Face cache" in text and "HF_HUB_OFFLINE" in text
    assert "local model folder" in err.value.hint
    with pytest.raises(EngineError) as err2:
        dl.download_model("some-org/some-model")
    assert err2.value.kind == "offline"


def test_unreachable_hub_is_reported_as_offline(online: None, monkeypatch: pytest.MonkeyPatch) -> None:
    stub = HubStub()
    port_url = stub.url
    stub.close()  # nothing listens there any more: connection refused
    monkeypatch.setenv("HF_ENDPOINT", port_url)
    with pytest.raises(EngineError) as err:
        dl.check_model("some-org/some-model", timeout=2)
    assert err.value.kind == "offline"
    assert "Could not reach" in str(err.value)


def test_a_hub_that_never_answers_times_out(online: None, monkeypatch: pytest.MonkeyPatch) -> None:
    stub = HubStub(stall=True)
    monkeypatch.setenv("HF_ENDPOINT", stub.url)
    try:
        with pytest.raises(EngineError) as err:
            dl.check_model("some-org/some-model", timeout=0.5)
        assert err.value.kind == "offline"
    finally:
        stub.close()


def test_unknown_repo_is_not_found(hub: HubStub) -> None:
    with pytest.raises(EngineError) as err:
        dl.check_model("nobody/nothing")
    assert err.value.kind == "not_found"
    assert "not found on the Hugging Face Hub" in str(err.value)


def test_check_reports_download_size(hub: HubStub, tiny_model_dir: Path) -> None:
    avail = dl.check_model(REPO)
    assert avail.status == "download" and avail.needs_download and avail.path is None
    expected = {p.name: p.stat().st_size for p in tiny_model_dir.iterdir()}
    assert {f.name for f in avail.files} == set(dl.select_files(expected))
    assert avail.total_bytes == sum(expected[f.name] for f in avail.files)
    assert avail.missing_bytes == avail.total_bytes
    assert avail.commit == hub.repos[REPO].commit
    assert dl.format_bytes(avail.missing_bytes) in avail.describe()


def test_download_reports_progress_and_lands_in_the_standard_cache(hub: HubStub) -> None:
    seen: list[dl.DownloadProgress] = []
    snapshot = dl.download_model(REPO, progress=seen.append, report_interval=0)
    repo = hub.repos[REPO]
    assert snapshot == _storage() / "snapshots" / repo.commit
    assert (snapshot / WEIGHTS).is_symlink()
    assert (snapshot / WEIGHTS).read_bytes() == repo.files[WEIGHTS]
    assert (_storage() / "refs" / "main").read_text() == repo.commit
    # progress: monotonic bytes, ends at the total, names each file
    done = [p.done_bytes for p in seen]
    assert done == sorted(done)
    assert seen[-1].done_bytes == seen[-1].total_bytes == dl.check_model(REPO).total_bytes
    assert {p.file for p in seen} >= {WEIGHTS, "config.json"}
    assert seen[-1].fraction == 1.0
    # huggingface_hub itself finds what we wrote (other tools reuse it)
    from huggingface_hub import hf_hub_download, scan_cache_dir, try_to_load_from_cache

    assert try_to_load_from_cache(REPO, WEIGHTS, cache_dir=dl.hub_cache_dir()) == str(snapshot / WEIGHTS)
    assert hf_hub_download(REPO, "config.json", cache_dir=dl.hub_cache_dir(), local_files_only=True)
    assert [r.repo_id for r in scan_cache_dir(dl.hub_cache_dir()).repos] == [REPO]
    # now it is cached: no network needed, even offline
    count = len(hub.requests)
    avail = dl.check_model(REPO)
    assert avail.status == "cached" and avail.path == snapshot
    assert len(hub.requests) == count
    assert [m.repo_id for m in dl.list_cached_models()] == [REPO]


def test_downloaded_model_loads_with_transformers(hub: HubStub) -> None:
    from transformers import AutoConfig, AutoTokenizer

    snapshot = dl.download_model(REPO)
    assert AutoConfig.from_pretrained(snapshot).model_type == "phi3"
    assert AutoTokenizer.from_pretrained(snapshot)("hello")["input_ids"]


def test_cancel_then_resume_continues_from_the_partial_file(hub: HubStub) -> None:
    hub.delay_s = 0.002  # about 30 MB/s: slow enough to cancel midway
    cancel = threading.Event()
    total = hub.repos[REPO].files[WEIGHTS]

    def on_progress(p: dl.DownloadProgress) -> None:
        if p.file == WEIGHTS and p.done_bytes - (p.total_bytes - len(total)) > len(total) // 3:
            cancel.set()

    with pytest.raises(dl.DownloadCancelled):
        dl.download_model(REPO, progress=on_progress, cancel=cancel, report_interval=0)
    partial = _incomplete(hub).stat().st_size
    assert 0 < partial < len(total)
    avail = dl.check_model(REPO)
    assert avail.resumable_bytes == partial
    assert avail.missing_bytes == avail.total_bytes - partial - sum(f.size or 0 for f in avail.files if f.cached)
    assert "interrupted download will be reused" in avail.describe()

    hub.delay_s = 0
    seen: list[dl.DownloadProgress] = []
    snapshot = dl.download_model(REPO, progress=seen.append, availability=avail, report_interval=0)
    assert hub.ranged_gets(hub.repos[REPO].etag(WEIGHTS)) == [f"bytes={partial}-"]
    assert (snapshot / WEIGHTS).read_bytes() == total
    assert max(p.resumed_bytes for p in seen) == partial
    assert not _incomplete(hub).exists()


def test_dropped_connection_is_resumed_automatically(hub: HubStub) -> None:
    size = len(hub.repos[REPO].files[WEIGHTS])
    hub.drop_after[WEIGHTS] = size // 2
    snapshot = dl.download_model(REPO)
    assert hub.ranged_gets(hub.repos[REPO].etag(WEIGHTS)) == [f"bytes={size // 2}-"]
    assert hashlib.sha256((snapshot / WEIGHTS).read_bytes()).hexdigest() == hub.repos[REPO].etag(WEIGHTS)


def test_dropped_connection_without_retries_fails_then_a_restart_resumes(hub: HubStub) -> None:
    size = len(hub.repos[REPO].files[WEIGHTS])
    hub.drop_after[WEIGHTS] = size // 4
    with pytest.raises(EngineError) as err:
        dl.download_model(REPO, retries=0)
    assert err.value.kind == "offline"
    assert "continues where it stopped" in err.value.hint
    assert _incomplete(hub).stat().st_size == size // 4
    snapshot = dl.download_model(REPO)
    assert hub.ranged_gets(hub.repos[REPO].etag(WEIGHTS)) == [f"bytes={size // 4}-"]
    assert (snapshot / WEIGHTS).read_bytes() == hub.repos[REPO].files[WEIGHTS]


def test_corrupt_partial_file_is_detected_and_removed(hub: HubStub) -> None:
    incomplete = _incomplete(hub)
    incomplete.parent.mkdir(parents=True)
    incomplete.write_bytes(b"\0" * 1000)  # not the file's first bytes
    with pytest.raises(EngineError, match="checksum") as err:
        dl.download_model(REPO)
    assert err.value.kind == "download_failed"
    assert not incomplete.exists()
    assert dl.download_model(REPO)  # the next try starts clean and succeeds


def test_our_partial_file_does_not_disturb_huggingface_hub(hub: HubStub) -> None:
    """huggingface_hub 1.x+ downloads into a per-process temporary file and never resumes; a partial file we left
    must not confuse it, and the blob it writes is then reused by us."""
    from huggingface_hub import hf_hub_download

    cancel = threading.Event()
    hub.delay_s = 0.002

    size = len(hub.repos[REPO].files[WEIGHTS])

    def on_progress(p: dl.DownloadProgress) -> None:
        if p.file == WEIGHTS and p.done_bytes - (p.total_bytes - size) > size // 2:
            cancel.set()

    with pytest.raises(dl.DownloadCancelled):
        dl.download_model(REPO, progress=on_progress, cancel=cancel, report_interval=0)
    partial = _incomplete(hub).stat().st_size
    assert 0 < partial < size
    hub.delay_s = 0
    path = hf_hub_download(REPO, WEIGHTS, cache_dir=dl.hub_cache_dir(), endpoint=hub.url)
    assert Path(path).read_bytes() == hub.repos[REPO].files[WEIGHTS]
    count = len(hub.requests)
    avail = dl.check_model(REPO)  # we fetched the small files first, the hub added the weights: complete
    assert avail.status == "cached" and (avail.path / WEIGHTS).resolve() == Path(path).resolve()
    assert len(hub.requests) == count


def test_progress_speed_and_time_left_are_computed() -> None:
    sent: list[dl.DownloadProgress] = []
    meter = dl._Meter(total=10_000_000, done=0, file_count=1, callback=sent.append, interval=0)
    meter.start_file("x", 1)
    meter.add(1_000_000)
    last = sent[-1]
    assert last.bytes_per_s > 0 and last.eta_s is not None
    assert last.eta_s == pytest.approx(9_000_000 / last.bytes_per_s)
    assert "of 9.5 MiB" in last.describe() and "left" in last.describe()
    assert last.to_load_progress().stage == "download"


def test_recent_models_are_remembered_newest_first() -> None:
    assert dl.load_recent_models() == []
    dl.remember_model("a/one")
    dl.remember_model("b/two")
    assert dl.remember_model("a/one") == ["a/one", "b/two"]
    assert json.loads(dl.recent_models_path().read_text()) == ["a/one", "b/two"]
    for i in range(dl.RECENT_LIMIT + 3):
        dl.remember_model(f"m/{i}")
    assert len(dl.load_recent_models()) == dl.RECENT_LIMIT
    dl.recent_models_path().write_text("{broken")
    assert dl.load_recent_models() == []


@pytest.mark.parametrize("count, text", [(0, "0 B"), (1536, "1.5 KiB"), (7.64e9, "7.1 GiB")])
def test_format_bytes(count: float, text: str) -> None:
    assert dl.format_bytes(count) == text


@pytest.mark.parametrize("seconds, text", [(5, "5 s"), (131, "2 min 11 s"), (4000, "1 h 6 min")])
def test_format_duration(seconds: float, text: str) -> None:
    assert dl.format_duration(seconds) == text


def test_download_module_imports_neither_qt_nor_torch() -> None:
    import subprocess
    import sys

    code = ("import sys, llmdesk.engine.download as d; d.hub_cache_dir(); "
            "print(any(m.startswith(('PySide6', 'torch')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_folder_without_tokenizer_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"x")
    with pytest.raises(EngineError, match="no tokenizer"):
        dl.check_model(str(tmp_path))


def test_server_that_ignores_range_restarts_the_file_cleanly(hub: HubStub) -> None:
    size = len(hub.repos[REPO].files[WEIGHTS])
    hub.drop_after[WEIGHTS] = size // 3
    with pytest.raises(EngineError):
        dl.download_model(REPO, retries=0)
    assert _incomplete(hub).stat().st_size == size // 3
    hub.ignore_range = True  # answers 200 with the whole file: the partial file must be replaced, not appended to
    seen: list[dl.DownloadProgress] = []
    snapshot = dl.download_model(REPO, progress=seen.append, report_interval=0)
    assert hub.ranged_gets(hub.repos[REPO].etag(WEIGHTS)) == [f"bytes={size // 3}-"]  # asked, but got 200
    assert (snapshot / WEIGHTS).read_bytes() == hub.repos[REPO].files[WEIGHTS]
    assert seen[-1].done_bytes == seen[-1].total_bytes


def test_without_symlinks_files_are_copied(hub: HubStub, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows without Developer Mode cannot make symlinks: the snapshot then holds copies."""
    import os

    def no_symlinks(*_args, **_kwargs):
        raise OSError("symlinks not allowed")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    snapshot = dl.download_model(REPO)
    assert not (snapshot / WEIGHTS).is_symlink()
    assert (snapshot / WEIGHTS).read_bytes() == hub.repos[REPO].files[WEIGHTS]
    assert dl.check_model(REPO).status == "cached"
