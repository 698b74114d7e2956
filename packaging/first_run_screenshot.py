"""Screenshots of the first run: ``xvfb-run -a python packaging/first_run_screenshot.py docs/screenshots``.

Builds the tiny random Phi-3 of the tests, serves it from the loopback Hub stand-in (tests/support/hub_stub.py, on
127.0.0.1 only) with an empty Hugging Face cache in a temporary folder, and starts the real window with the scripted
engine: ``first-run.png`` shows the model not downloaded yet with its size; ``first-run-downloading.png`` shows the
download mid-way (the stand-in is slowed down so the progress, speed and time left are visible); with
``--offline``, ``first-run-offline.png`` shows HF_HUB_OFFLINE=1 with nothing cached.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--offline", action="store_true", help="only the offline, not cached state")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    sys.path.insert(0, str(ROOT))
    tmp = Path(tempfile.mkdtemp(prefix="llmdesk-first-run-"))
    for var, sub in (("HF_HOME", "hf"), ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data")):
        os.environ[var] = str(tmp / sub)
    os.environ["HF_HUB_OFFLINE"] = "1" if args.offline else "0"
    os.environ["HF_HUB_DISABLE_IMPLICIT_TOKEN"] = "1"
    os.environ.pop("HF_TOKEN", None)

    from tests.support.hub_stub import REPO, HubStub
    from tests.support.tiny import build_tiny_phi3

    model_dir = build_tiny_phi3(tmp / "tiny")
    stub = HubStub()
    stub.add_repo(REPO, model_dir)
    os.environ["HF_ENDPOINT"] = stub.url

    from PySide6.QtCore import QEventLoop, QTimer

    from llmdesk.core.settings import Settings
    from llmdesk.gui.app import make_application
    from llmdesk.gui.chat.controller import ChatController
    from llmdesk.gui.dev.scripted_engine import ScriptedEngine
    from llmdesk.gui.window import ChatWindow
    from llmdesk.gui.chat.worker import EngineBackend

    def wait_until(check, timeout_ms: int = 20_000) -> None:
        loop = QEventLoop()
        timer = QTimer()
        timer.setInterval(50)
        timer.timeout.connect(lambda: loop.quit() if check() else None)
        QTimer.singleShot(timeout_ms, loop.quit)
        timer.start()
        loop.exec()
        timer.stop()
        if not check():
            raise SystemExit("first_run_screenshot: the window did not reach the expected state")

    app = make_application()
    engine = ScriptedEngine()
    settings = Settings()
    settings.model.model = REPO
    controller = ChatController(backend_factory=lambda: EngineBackend(make_engine=lambda: engine,
                                                                       list_devices=engine.list_devices))
    window = ChatWindow(settings, controller, save=None, remember_geometry=False, check_downloads=True)
    window.resize(1100, 720)
    window.show()
    window.start()
    out.mkdir(parents=True, exist_ok=True)
    try:
        if args.offline:
            wait_until(lambda: window.first_run is not None and window.first_run.panel is not None
                       and window.first_run.panel.state == "offline")
            wait_until(lambda: window.warmed_up)
            app.processEvents()
            window.grab().save(str(out / "first-run-offline.png"))
            print(f"wrote {out / 'first-run-offline.png'}")
            return 0
        wait_until(lambda: window.first_run is not None and window.first_run.panel is not None
                   and window.first_run.panel.state == "needs_download")
        wait_until(lambda: window.warmed_up)
        app.processEvents()
        window.grab().save(str(out / "first-run.png"))
        panel = window.first_run.panel
        stub.delay_s = 0.25  # 64 KiB a quarter second: the download takes a while
        panel.download_button.click()
        wait_until(lambda: panel.progress_bar.value() > 150 and "left" in panel.detail_label.text(), 60_000)
        app.processEvents()
        window.grab().save(str(out / "first-run-downloading.png"))
        print(f"wrote {out / 'first-run.png'} and {out / 'first-run-downloading.png'}")
    finally:
        window.close()
        stub.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
