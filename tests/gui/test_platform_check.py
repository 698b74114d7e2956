"""Before Qt starts, missing system libraries of its display platform are named with the packages that hold them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmdesk.gui.platform_check import (XCB_LIBRARIES, check_display_platform, missing_libraries,
                                        platform_name)

ROOT = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check runs on Linux only")


@pytest.mark.parametrize("env, expected", [
    ({"QT_QPA_PLATFORM": "offscreen"}, "offscreen"),
    ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":0"}, "wayland"),
    ({"QT_QPA_PLATFORM": "offscreen:configfile=/x.json"}, "offscreen"),
    ({"DISPLAY": ":0"}, "xcb"),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, "wayland"),
    ({}, "xcb"),
])
def test_the_platform_qt_will_start(env, expected):
    assert platform_name(env) == expected


@linux_only
def test_xcb_without_xcb_cursor_and_egl_names_them_and_the_packages_for_debian_and_fedora():
    gone = {"libxcb-cursor.so.0", "libEGL.so.1"}
    message = check_display_platform({"DISPLAY": ":0"}, can_load=lambda name: name not in gone)
    assert message is not None
    assert "libxcb-cursor.so.0" in message and "libEGL.so.1" in message
    assert "sudo apt-get install libegl1 libxcb-cursor0" in message
    assert "sudo dnf install libglvnd-egl xcb-util-cursor" in message
    assert "Reinstalling" not in message


@linux_only
def test_offscreen_does_not_need_the_xcb_libraries():
    assert missing_libraries("offscreen", can_load=lambda name: name not in {lib.soname for lib in XCB_LIBRARIES}) \
        == []


@linux_only
def test_llmdesk_exits_with_the_advice_and_no_traceback_when_a_library_is_missing(tmp_path):
    # A library that cannot be there stands in for a missing one, through the same check the command runs.
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="xcb", DISPLAY=":99")
    code = ("import llmdesk.gui.platform_check as pc, sys;"
            "pc.XCB_LIBRARIES = pc.XCB_LIBRARIES + (pc.SystemLibrary('libxcb-nonexistent.so.0', "
            "'libxcb-nonexistent0', 'xcb-nonexistent'),);"
            "from llmdesk.__main__ import main; sys.exit(main([]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1, done.stderr
    assert "libxcb-nonexistent.so.0" in done.stderr
    assert "sudo apt-get install libxcb-nonexistent0" in done.stderr
    assert "Traceback" not in done.stderr and "Reinstalling" not in done.stderr
