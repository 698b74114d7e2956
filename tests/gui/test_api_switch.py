"""The window's switch "Serve the loaded model on localhost", with the real tiny model: API requests and the window's
own reply share the one model thread (never at once) and both finish; the address shows in the status bar. And the
window on a remote engine (model setting ``remote:NAME``): the reply records engine, server and model."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import openai
import pytest

from llmdesk.core.remote_servers import ServerEntry, save_servers
from llmdesk.core.settings import ModelSettings, Settings
from llmdesk.gui.app import build_window
from llmdesk.gui.chat.worker import EngineBackend, default_backend

pytestmark = pytest.mark.slow


class CountingEngine:
    """The real engine, counting how many chats run at once."""

    def __init__(self, engine: Any) -> None:
        self._inner = engine
        self.running = 0
        self.most = 0
        self.calls = 0
        self.lock = threading.Lock()

    @property
    def info(self) -> Any:
        return self._inner.info

    def load(self, *a: Any, **k: Any) -> Any:
        return self._inner.load(*a, **k)

    def unload(self) -> None:
        self._inner.unload()

    def chat(self, *a: Any, **k: Any) -> Any:
        with self.lock:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
        try:
            return self._inner.chat(*a, **k)
        finally:
            with self.lock:
                self.running -= 1


def _window(qtbot, model: ModelSettings, engines: list[CountingEngine]):
    def backend() -> EngineBackend:
        real = default_backend()

        def make() -> CountingEngine:
            engines.append(CountingEngine(real.make_engine()))
            return engines[-1]

        return EngineBackend(make_engine=make, list_devices=real.list_devices)

    settings = Settings()
    settings.decoding.max_new_tokens = 24
    window = build_window(settings, initial_model=model, save=None, remember_geometry=False,
                          backend_factory=backend, open_default_store=False, check_downloads=False)
    window.api_switch.port = 0  # any free port (the default is 8765)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.controller.model_info is not None or window.banner.isVisible(), timeout=180_000)
    assert window.controller.model_info is not None, window.banner.label.text()
    return window


def test_api_requests_queue_with_the_windows_reply(qtbot, tiny_model_dir) -> None:
    engines: list[CountingEngine] = []
    window = _window(qtbot, ModelSettings(model=str(tiny_model_dir), device="cpu", dtype="float32"), engines)
    window.api_action.setChecked(True)
    address = window.api_switch.address
    assert address.startswith("http://127.0.0.1:") and window.api_label.text() == f"API: {address}"
    client = openai.OpenAI(base_url=address, api_key="unused", max_retries=0, timeout=120)
    assert [m.id for m in client.models.list()] == [str(tiny_model_dir)]

    answers: list[str] = []

    def ask() -> None:
        reply = client.chat.completions.create(model=str(tiny_model_dir), max_tokens=24, temperature=0,
                                               messages=[{"role": "user", "content": "Hello"}])
        answers.append(reply.choices[0].message.content or "")

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    with qtbot.waitSignal(window.controller.reply_finished, timeout=120_000) as finished:
        window.send("Hello")
    qtbot.waitUntil(lambda: len(answers) == 2, timeout=120_000)
    for t in threads:
        t.join(10)
    engine = engines[-1]
    assert engine.calls == 3 and engine.most == 1
    window_reply = finished.args[0]
    assert window_reply.meta["stats"]["new_tokens"] > 0 and window_reply.meta.get("engine") == "transformers"
    assert answers[0] == answers[1] and answers[0]

    window.api_action.setChecked(False)
    assert not window.api_label.isVisible() and window.api_switch.address == ""
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{address}/models", timeout=2)
    window.close()


def test_window_on_a_remote_engine_records_engine_server_and_model(qtbot) -> None:
    from tests.support.fake_openai import MODEL, FakeServer

    with FakeServer() as fake:
        save_servers([ServerEntry("fake lab", fake.url("ok"), MODEL)])
        engines: list[CountingEngine] = []
        window = _window(qtbot, ModelSettings(model="remote:fake lab"), engines)
        assert window.controller.model_info.device == "remote: fake lab"
        with qtbot.waitSignal(window.controller.reply_finished, timeout=60_000) as finished:
            window.send("Hi")
        reply = finished.args[0]
        assert reply.content == "Hello world!"
        assert reply.meta["engine"] == "remote" and reply.meta["server"] == f"fake lab ({fake.url('ok')})"
        assert reply.meta["model"] == MODEL and reply.meta["stats"]["new_tokens"] == 3
        assert not window.banner.isVisible()
        window.close()

        # a server that refuses top_k: the reply comes, and the window says the setting was left out
        save_servers([ServerEntry("strict", fake.url("refuses_topk"), MODEL)])
        window = _window(qtbot, ModelSettings(model="remote:strict"), engines)
        decoding = window.controller.decoding
        decoding.do_sample, decoding.top_k = True, 5
        with qtbot.waitSignal(window.controller.reply_finished, timeout=60_000) as finished:
            window.send("Hi")
        assert finished.args[0].content == "Hello world!"
        assert window.banner.isVisible() and "refused top_k" in window.banner.label.text()
        assert "refused top_k" in finished.args[0].meta["notes"][0]
        window.close()
