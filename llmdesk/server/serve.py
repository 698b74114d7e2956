"""Run the API app under uvicorn: in the foreground (``llmdesk serve``) or on a background thread (the window's
switch, tests, the benchmark)."""

from __future__ import annotations

import threading
import time

import uvicorn

from llmdesk.server.openai_api import ServeConfig, create_app
from llmdesk.server.runner import Runner


class ApiServer:
    """uvicorn serving ``runner`` under ``config``.

    ``start()`` returns once the socket is bound (``address`` is then the real one, port 0 resolved); ``stop()``
    asks uvicorn to finish and waits for its thread.
    """

    def __init__(self, runner: Runner, config: ServeConfig | None = None) -> None:
        self.config = config or ServeConfig()
        self.app = create_app(runner, self.config)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host=self.config.host, port=self.config.port,
                                                    log_level="warning", lifespan="off", access_log=False,
                                                    timeout_graceful_shutdown=5))
        self._thread: threading.Thread | None = None
        self.port = self.config.port

    @property
    def address(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"http://{host}:{self.port}/v1"

    def start(self, timeout: float = 20.0) -> str:
        """Serve on a daemon thread; returns the base URL. Raises OSError when the port cannot be bound."""
        self._thread = threading.Thread(target=self.server.run, name="llmdesk-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive():
                raise OSError(f"Could not serve on {self.config.host}:{self.config.port} (is the port in use?)")
            if time.monotonic() > deadline:
                self.stop()
                raise OSError(f"The API server did not start within {timeout:.0f} s")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self.address

    def run(self) -> None:
        """Serve in the foreground until interrupted (Ctrl+C)."""
        self.server.run()

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
