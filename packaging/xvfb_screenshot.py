"""Start a program on a private Xvfb display, wait until its window has been drawn, save a screenshot, stop it.

    python packaging/xvfb_screenshot.py docs/screenshots/pyinstaller-app.png --settle 8 -- dist/llmdesk/llmdesk

Needs Xvfb (apt-get install xvfb) and PySide6 in the environment that runs this script (it grabs the screen through
Qt's xcb platform). Prints how long the first drawn pixels took to appear. The program gets QT_QPA_PLATFORM=xcb.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise SystemExit("xvfb_screenshot: no free X display number")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait after the first drawn pixels")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for a window at all")
    parser.add_argument("--type", dest="type_text", help="after half the settle time, type this text and Enter "
                        "into the focused window (needs xdotool)")
    argv = sys.argv[1:]
    if "--" not in argv:
        parser.error("give the program to start after --")
    cut = argv.index("--")
    args = parser.parse_args(argv[:cut])
    command = argv[cut + 1:]
    if not command:
        parser.error("give the program to start after --")
    if shutil.which("Xvfb") is None:
        raise SystemExit("xvfb_screenshot: Xvfb is missing (apt-get install xvfb)")

    display = _free_display()
    xvfb = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", f"{args.size}x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app = None
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{display}").exists():
            if time.monotonic() > deadline or xvfb.poll() is not None:
                raise SystemExit("xvfb_screenshot: Xvfb did not start")
            time.sleep(0.05)
        env = dict(os.environ, DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb")
        started = time.monotonic()
        app = subprocess.Popen(command, env=env)

        os.environ.update(DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb")
        from PySide6.QtGui import QGuiApplication

        qt = QGuiApplication(sys.argv[:1])  # noqa: F841 - the screen needs an application
        screen = QGuiApplication.primaryScreen()

        def drawn() -> bool:
            image = screen.grabWindow(0).toImage()
            first = image.pixel(0, 0)
            step = max(1, min(image.width(), image.height()) // 40)
            return any(image.pixel(x, y) != first for x in range(0, image.width(), step)
                       for y in range(0, image.height(), step))

        while not drawn():
            if app.poll() is not None:
                raise SystemExit(f"xvfb_screenshot: the program exited with {app.returncode} before drawing")
            if time.monotonic() - started > args.timeout:
                raise SystemExit("xvfb_screenshot: no window within the timeout")
            time.sleep(0.1)
        print(f"xvfb_screenshot: first pixels after {time.monotonic() - started:.2f} s", flush=True)
        if args.type_text:
            if shutil.which("xdotool") is None:
                raise SystemExit("xvfb_screenshot: --type needs xdotool (apt-get install xdotool)")
            time.sleep(args.settle / 2)
            subprocess.run(["xdotool", "type", "--delay", "20", args.type_text], env=env, check=True)
            subprocess.run(["xdotool", "key", "Return"], env=env, check=True)
        time.sleep(args.settle / 2 if args.type_text else args.settle)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        if not screen.grabWindow(0).save(str(args.output)):
            raise SystemExit(f"xvfb_screenshot: could not write {args.output}")
        print(f"xvfb_screenshot: saved {args.output}")
        return 0
    finally:
        if app is not None and app.poll() is None:
            app.send_signal(signal.SIGTERM)
            try:
                app.wait(15)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait()
        xvfb.terminate()
        xvfb.wait(10)


if __name__ == "__main__":
    sys.exit(main())
