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
    """Follow the system's light/dark choice (QStyleHints.colorScheme); where the platform palette does not
    follow it, use Fusion with a matching palette."""
    scheme = QGuiApplication.styleHints().colorScheme()
    palette_dark = app.palette().color(QPalette.ColorRole.Window).lightness() < 128
    if scheme == Qt.ColorScheme.Dark and not palette_dark:
        app.setStyle(QStyleFactory.create("Fusion"))
        app.setPalette(dark_palette())
    elif scheme == Qt.ColorScheme.Light and palette_dark:
        app.setStyle(QStyleFactory.create("Fusion"))
        app.setPalette(app.style().standardPalette())


def app_icon() -> QIcon:
    """The app icon from the llmdesk.resources package, when it is there."""
    try:
        from importlib import resources

        data = (resources.files("llmdesk.resources") / "llmdesk.svg").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError, TypeError):
        return QIcon()
    from PySide6.QtGui import QPixmap

    pixmap = QPixmap()
    pixmap.loadFromData(data, "SVG")
    return QIcon(pixmap) if not pixmap.isNull() else QIcon()


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
    window.show()
    code = app.exec()
    if controller.running:  # closed some other way (e.g. the session ended): stop the model thread anyway
        controller.shutdown()
    return int(code)
