"""Before Qt starts: are the system libraries its display platform needs there? (Linux; plain Python, no Qt.)

PySide6's wheels bring Qt but not the system libraries Qt's platforms load: without ``libEGL``/``libGL`` importing
QtGui fails with a raw ImportError, and without ``libxcb-cursor`` and the other xcb libraries Qt aborts with
"Could not load the Qt platform plugin "xcb" … Reinstalling the application may fix this problem", which it
would not. :func:`missing_libraries` tries to load each library (``dlopen``, as Qt will) and :func:`advice` says
which packages to install on Debian/Ubuntu and Fedora.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class SystemLibrary:
    """A shared library Qt loads, and the package that holds it.

    Attributes:
        soname: the file name ``dlopen`` is given, e.g. ``libxcb-cursor.so.0``.
        debian: the Debian/Ubuntu package.
        fedora: the Fedora package.
    """

    soname: str
    debian: str
    fedora: str


# Needed by QtGui itself on every platform (it links them).
GUI_LIBRARIES = (
    SystemLibrary("libEGL.so.1", "libegl1", "libglvnd-egl"),
    SystemLibrary("libGL.so.1", "libgl1", "libglvnd-glx"),
    SystemLibrary("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
    SystemLibrary("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    SystemLibrary("libglib-2.0.so.0", "libglib2.0-0", "glib2"),
    SystemLibrary("libdbus-1.so.3", "libdbus-1-3", "dbus-libs"),
)
# Needed by the xcb (X11) platform plugin.
XCB_LIBRARIES = (
    SystemLibrary("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    SystemLibrary("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    SystemLibrary("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    SystemLibrary("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    SystemLibrary("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    SystemLibrary("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    SystemLibrary("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    SystemLibrary("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    SystemLibrary("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    SystemLibrary("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    SystemLibrary("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
)
# Needed by the wayland platform plugin (PySide6 brings libwayland-client's users, not the library itself).
WAYLAND_LIBRARIES = (
    SystemLibrary("libwayland-client.so.0", "libwayland-client0", "libwayland-client"),
    SystemLibrary("libwayland-cursor.so.0", "libwayland-cursor0", "libwayland-cursor"),
)


def platform_name(env: Mapping[str, str] | None = None) -> str:
    """The Qt platform plugin that will start: ``QT_QPA_PLATFORM``'s first choice (``xcb``, ``wayland``,
    ``offscreen``…), else ``wayland`` in a Wayland session and ``xcb`` otherwise (Qt's own choice on Linux)."""
    env = os.environ if env is None else env
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()
    if chosen:
        return chosen
    if env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE", "wayland") == "wayland":
        return "wayland"
    return "xcb"


def _can_load(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(platform: str | None = None, *,
                      can_load: Callable[[str], bool] = _can_load) -> list[SystemLibrary]:
    """The system libraries that ``platform`` (default: :func:`platform_name`) needs and that cannot be loaded.
    Empty on other systems than Linux."""
    if not sys.platform.startswith("linux"):
        return []
    platform = platform or platform_name()
    needed = list(GUI_LIBRARIES)
    if platform == "xcb":
        needed += XCB_LIBRARIES
    elif platform.startswith("wayland"):
        needed += WAYLAND_LIBRARIES
    return [lib for lib in needed if not can_load(lib.soname)]


def advice(missing: list[SystemLibrary], platform: str) -> str:
    """What to tell the user: which libraries are missing and the commands that install them."""
    debian = " ".join(dict.fromkeys(lib.debian for lib in missing))
    fedora = " ".join(dict.fromkeys(lib.fedora for lib in missing))
    return (f"llmdesk: the window cannot start: Qt's \"{platform}\" display platform needs system libraries that "
            f"are not installed: {', '.join(lib.soname for lib in missing)}.\n"
            f"Install them, then start llmdesk again:\n"
            f"  Debian/Ubuntu:  sudo apt-get install {debian}\n"
            f"  Fedora:         sudo dnf install {fedora}\n"
            "(The command line works without them: llmdesk ask, export, import, search, bench.)")


def check_display_platform(env: Mapping[str, str] | None = None, *,
                           can_load: Callable[[str], bool] = _can_load) -> str | None:
    """None when the window can start; else the message of :func:`advice`. ``LLMDESK_SKIP_PLATFORM_CHECK=1``
    skips the check."""
    env = os.environ if env is None else env
    if env.get("LLMDESK_SKIP_PLATFORM_CHECK") == "1":
        return None
    platform = platform_name(env)
    missing = missing_libraries(platform, can_load=can_load)
    return advice(missing, platform) if missing else None
