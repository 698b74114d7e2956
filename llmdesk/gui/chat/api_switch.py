"""The window's switch "Serve the loaded model on localhost": llmdesk's OpenAI-compatible API for the model the
window has loaded, on 127.0.0.1 only.

API requests go through :meth:`ChatController.submit_api_job` onto the window's one model thread, queued with the
window's own replies (they never run on the model at the same time). Their tokens go straight from the model thread
to the server's event loop; the GUI thread does no per-token work for them, so the window stays responsive.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

from llmdesk.gui.i18n import tr

if TYPE_CHECKING:  # the server stack (uvicorn, starlette) is imported only when the switch is turned on
    from llmdesk.server.runner import GenerationJob
    from llmdesk.server.serve import ApiServer

log = logging.getLogger(__name__)
DEFAULT_PORT = 8765


class ControllerRunner:
    """A :class:`llmdesk.server.runner.Runner` that hands jobs to the window's controller (any thread)."""

    def __init__(self, controller: Any) -> None:
        self.controller = controller

    @property
    def model_ids(self) -> Sequence[str]:
        info = self.controller.model_info
        return (info.model_id,) if info is not None else ()

    def submit(self, job: GenerationJob) -> None:
        self.controller.submit_api_job(job)


class ApiSwitch(QObject):
    """Starts and stops the API server for a window's controller.

    Signals:
        changed(str): the base URL being served, or "" when stopped.
        failed(str): the server could not start (e.g. the port is taken).
    """

    changed = Signal(str)
    failed = Signal(str)

    def __init__(self, controller: Any, port: int = DEFAULT_PORT, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.port = port
        self.server: ApiServer | None = None

    @property
    def address(self) -> str:
        return self.server.address if self.server is not None else ""

    def start(self) -> bool:
        """Serve on 127.0.0.1 (binding takes milliseconds); False and ``failed`` when it cannot."""
        if self.server is not None:
            return True
        from llmdesk.server.openai_api import ServeConfig
        from llmdesk.server.serve import ApiServer

        server = ApiServer(ControllerRunner(self.controller), ServeConfig(host="127.0.0.1", port=self.port))
        try:
            server.start()
        except OSError as exc:
            self.failed.emit(self.tr("Could not serve the model on {address}: {error}").format(
                address=f"127.0.0.1:{self.port}", error=exc))
            return False
        self.server = server
        self.changed.emit(server.address)
        return True

    def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            server.stop()
            self.changed.emit("")


def install_api_switch(window: Any, port: int = DEFAULT_PORT) -> ApiSwitch:
    """Add the switch to ``window``'s Model menu and its address to the status bar; the server stops with the
    window."""
    switch = ApiSwitch(window.controller, port, window)
    action = QAction(tr("Serve the loaded model on &localhost (OpenAI API)"), window)
    action.setCheckable(True)
    action.setStatusTip(tr("An OpenAI-compatible API at {url} for the model loaded here; requests queue with the "
                           "window's own replies").format(url=f"http://127.0.0.1:{port}/v1"))
    label = QLabel("")
    label.setObjectName("statusApi")
    label.hide()

    def toggled(on: bool) -> None:
        if on and not switch.start():
            action.setChecked(False)
        elif not on:
            switch.stop()

    def changed(address: str) -> None:
        label.setText(f"API: {address}" if address else "")
        label.setVisible(bool(address))

    action.toggled.connect(toggled)
    switch.changed.connect(changed)
    switch.failed.connect(lambda message: window.banner.show_message(message, kind="error"))
    window.closed.connect(switch.stop)
    window.model_menu.addSeparator()
    window.model_menu.addAction(action)
    window.statusBar().addPermanentWidget(label)
    window.api_switch, window.api_action, window.api_label = switch, action, label
    return switch
