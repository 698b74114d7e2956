"""Round trip through the command line: ``llmdesk serve`` in its own process, then ``llmdesk ask --base-url`` and
``llmdesk ask --engine`` against it give the same greedy reply as ``llmdesk ask`` on the same model; ``llmdesk bench``
through the remote engine; ``llmdesk remote`` add/list/check."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from llmdesk.__main__ import main

pytestmark = pytest.mark.slow
ASK = ["--greedy", "--max-new-tokens", "10", "--system", "Be brief.", "Name a colour."]


@pytest.fixture
def serve(tiny_model_dir: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(["timeout", "240", sys.executable, "-m", "llmdesk", "serve", "--model", str(tiny_model_dir),
                             "--device", "cpu", "--dtype", "float32", "--port", str(port), "--name", "tiny"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ))
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()[-2000:])
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "llmdesk serve did not start"
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_ask_through_llmdesk_serve_equals_ask_on_the_model(serve: str, tiny_model_dir: Path, capsys) -> None:
    assert main(["ask", "--model", str(tiny_model_dir), "--device", "cpu", "--dtype", "float32", *ASK]) == 0
    local, _ = capsys.readouterr()
    assert main(["ask", "--base-url", serve, "--model", "tiny", *ASK]) == 0
    remote, err = capsys.readouterr()
    assert remote == local and remote.strip()
    assert "remote: command line" in err and "reply 10 tokens" in err

    assert main(["remote", "add", "mine", serve, "--model", "tiny"]) == 0
    assert main(["remote", "check", "mine"]) == 0
    out, _ = capsys.readouterr()
    assert "ready (tiny)" in out
    assert main(["ask", "--engine", "mine", *ASK]) == 0
    again, _ = capsys.readouterr()
    assert again == local

    assert main(["bench", "--engine", "mine", "--new-tokens", "4", "--repeats", "2"]) == 0
    out, _ = capsys.readouterr()
    assert "time to first" in out and "tok/s" in out


def test_ask_reports_an_unreachable_server(capsys) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["ask", "--base-url", f"http://127.0.0.1:{port}/v1", "hi"]) == 1
    _, err = capsys.readouterr()
    assert "unreachable" in err


def test_remote_add_without_keyring_keeps_key_out_of_files(capsys, monkeypatch) -> None:
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        monkeypatch.setattr("sys.stdin", __import__("io").StringIO("sk-secret-xyz\n"))
        assert main(["remote", "add", "lab", "http://127.0.0.1:9/v1", "--api-key-stdin"]) == 0
        _, err = capsys.readouterr()
        assert "no system keyring" in err and "--store-key-in-file" in err
        from llmdesk.core import paths

        assert not any("sk-secret-xyz" in p.read_text() for p in paths.config_dir().glob("*.json"))
    finally:
        keyring.set_keyring(before)


def test_serve_refuses_another_interface_without_a_key(capsys, monkeypatch) -> None:
    monkeypatch.delenv("LLMDESK_SERVE_API_KEY", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    _, err = capsys.readouterr()
    assert "needs an API key" in err
