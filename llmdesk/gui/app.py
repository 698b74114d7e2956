"""Application set-up for the chat window: QApplication, colour scheme, settings, window, model thread.

The window is shown before torch or transformers are imported: they are imported on the model thread, which is
started only once the window is up.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from llmdesk import APP_NAME
from llmdesk.core.settings import Settings, load_settings
from llmdesk.gui.controller import ChatController
from llmdesk.gui.window import ChatWindow
from llmdesk.gui.worker import EngineBackend

log = logging.getLogger(__name__)


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style (used when the system asks for dark but the platform theme does not
    provide one)."""
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#202124", QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#17181a", QPalette.ColorRole.AlternateBase: "#26282b",
        QPalette.ColorRole.ToolTipBase: "#2d2f33", QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.Text: "#e8eaed", QPalette.ColorRole.Button: "#2d2f33",
        QPalette.ColorRole.ButtonText: "#e8eaed", QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#3b82f6", QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#7ab7ff", QPalette.ColorRole.PlaceholderText: "#9aa0a6",
    }
    for role, color in roles.items():
        pal.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b6f75"))
    return pal


def apply_color_scheme(app: QApplication) -> None:
    """Follow the system's light/dark choice (QStyleHints.colorScheme): Fusion with a matching palette and the
    matching style sheet from ``llmdesk.resources`` (when present)."""
    dark = QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    try:
        from llmdesk.core import resources

        app.setStyleSheet(resources.style_sheet("dark" if dark else "light") + spin_box_css(dark))
    except (ImportError, OSError, ValueError) as exc:  # resources are optional
        log.debug("no style sheet: %s", exc)


_ARROW_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="5" viewBox="0 0 8 5">'
              '<path d="{path}" fill="{color}"/></svg>')


def spin_box_css(dark: bool) -> str:
    """Style-sheet rules that give spin boxes visible arrows (a style sheet that restyles a spin box's frame
    must also draw its buttons). The arrow images are small SVG files written to the cache folder."""
    import platformdirs

    folder = platformdirs.user_cache_path(APP_NAME, appauthor=False) / "style"
    folder.mkdir(parents=True, exist_ok=True)
    rules = ["QAbstractSpinBox { padding-right: 18px; }",
             f"QAbstractSpinBox:disabled {{ color: {'#6b6f75' if dark else '#8c959f'};"
             f" background: {'#1d1f22' if dark else '#f6f8fa'}; }}",
             "QAbstractSpinBox::up-button, QAbstractSpinBox::down-button { subcontrol-origin: border; width: 16px;"
             " border: none; background: transparent; }",
             "QAbstractSpinBox::up-button { subcontrol-position: top right; }",
             "QAbstractSpinBox::down-button { subcontrol-position: bottom right; }"]
    for name, path in (("up", "M0 5 L4 0 L8 5 Z"), ("down", "M0 0 L4 5 L8 0 Z")):
        for state, color in (("", "#c9d1d9" if dark else "#57606a"), (":disabled", "#6b6f75" if dark else "#c4cbd3")):
            file = folder / f"{name}{'-off' if state else ''}{'-dark' if dark else ''}.svg"
            file.write_text(_ARROW_SVG.format(path=path, color=color), encoding="ascii")
            rules.append(f"QAbstractSpinBox::{name}-arrow{state} {{ image: url({file.as_posix()}); width: 8px;"
                         " height: 5px; }")
    return "\n" + "\n".join(rules) + "\n"


def app_icon() -> QIcon:
    """The app icon (every size) from ``llmdesk.resources``, when it is there."""
    icon = QIcon()
    try:
        from llmdesk.core import resources

        for path in resources.icon_files():
            icon.addFile(str(path))
    except (ImportError, OSError, ValueError) as exc:
        log.debug("no icon: %s", exc)
    return icon


def process_age_s() -> float | None:
    """Seconds since this process started (Linux, from /proc; 10 ms resolution), or None."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def make_application(argv: Sequence[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else [sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("io.github.llmdesk.llmdesk")
    app.setWindowIcon(app_icon())
    apply_color_scheme(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_color_scheme(app))
    return app


def run_window(*, model_overrides: dict[str, str] | None = None, measure_startup: bool = False,
               backend_factory: Callable[[], EngineBackend] | None = None) -> int:
    """Open the chat window and run the event loop; returns the exit code.

    Args:
        model_overrides: ModelSettings fields from the command line (model, device, dtype), already validated.
        measure_startup: print the time from process start to the window's first paint, then quit (no model
            thread is started).
        backend_factory: the engine backend (None: the real engine).
    """
    t0 = time.perf_counter()
    app = make_application()
    loaded = load_settings()
    settings: Settings = loaded.settings
    # Flags choose the model for this session; they are saved only if the user loads from the settings panel.
    initial_model = dataclasses.replace(settings.model, **(model_overrides or {}))
    controller = ChatController(settings.decoding, settings.system_prompt, backend_factory=backend_factory)
    window = ChatWindow(settings, controller, warnings=loaded.warnings, autoload=not measure_startup,
                        initial_model=initial_model)
    if measure_startup:
        def report() -> None:
            age = process_age_s()
            heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
            print(f"window shown: {age * 1000:.0f} ms after process start" if age is not None else
                  "window shown", f"({(time.perf_counter() - t0) * 1000:.0f} ms in the window set-up); "
                  f"heavy modules imported: {', '.join(heavy) or 'none'}", flush=True)
            window.close()
        window.first_exposed.connect(report)
    else:
        window.first_exposed.connect(window.start)
        QTimer.singleShot(1000, window.start)  # in case the window is never painted (e.g. started minimised)
    window.show()
    _close_on_signals(window)
    code = app.exec()
    if controller.running:  # closed some other way (e.g. the session ended): stop the model thread anyway
        controller.shutdown()
    if controller.running:
        # The worker is stuck in a call that cannot be cancelled (e.g. reading weights from a slow disk). Qt would
        # abort on destroying a running QThread, and terminating it is unsafe: leave without running destructors.
        log.error("the model thread did not stop in time; exiting without waiting for it")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
    return int(code)


def _close_on_signals(window: ChatWindow) -> None:
    """Close the window (and so stop the model thread cleanly) on Ctrl+C or SIGTERM instead of dying mid-work.

    Python runs signal handlers only between bytecodes, so a cheap timer gives the interpreter a turn while Qt's
    event loop waits."""
    import signal

    def handler(_signum: int, _frame: object) -> None:
        QTimer.singleShot(0, window.close)

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread, or not supported here
            return
    timer = QTimer(window)
    timer.setInterval(250)
    timer.timeout.connect(lambda: None)
    timer.start()
