"""The icon, style sheets and desktop files: present, well-formed, found through importlib.resources, and valid
under the freedesktop tools (desktop-file-validate, appstreamcli)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from llmdesk.core import resources

SIZES = [16, 24, 32, 48, 64, 128, 256, 512]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_icon_svg_and_every_png_size_are_there() -> None:
    svg = resources.icon_path()
    assert svg.suffix == ".svg"
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 512 512"
    assert resources.icon_sizes() == SIZES
    for size in SIZES:
        assert _png_size(resources.icon_path(size)) == (size, size)
    files = resources.icon_files()
    assert files[0] == svg and len(files) == len(SIZES) + 1


@pytest.mark.parametrize("asked, got", [(1, 16), (20, 24), (40, 48), (100, 128), (2000, 512)])
def test_icon_path_picks_the_closest_size(asked: int, got: int) -> None:
    assert resources.icon_path(asked).name == f"llmdesk-{got}.png"


def test_style_sheets_load_and_unknown_theme_is_named() -> None:
    light, dark = resources.style_sheet("light"), resources.style_sheet("dark")
    assert "QProgressBar::chunk" in light and "QProgressBar::chunk" in dark
    assert light != dark
    assert light.count("{") == light.count("}") == dark.count("{") == dark.count("}")
    with pytest.raises(ValueError, match="light, dark"):
        resources.style_sheet("sepia")


@pytest.mark.parametrize("theme", resources.THEMES)
def test_style_sheet_parses_in_qt(qtbot, theme: str) -> None:
    """Qt logs 'Could not parse stylesheet' as a warning, and warnings fail tests."""
    from PySide6.QtWidgets import QApplication, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

    app = QApplication.instance()
    before = app.styleSheet()
    try:
        app.setStyleSheet(resources.style_sheet(theme))
        w = QWidget()
        qtbot.addWidget(w)
        layout = QVBoxLayout(w)
        button = QPushButton("Load")
        button.setProperty("role", "primary")
        bar = QProgressBar()
        bar.setValue(40)
        for child in (button, bar, QLabel("muted")):
            layout.addWidget(child)
        w.show()
        qtbot.waitExposed(w)
        assert not w.grab().isNull()
    finally:
        app.setStyleSheet(before)


def test_missing_resource_error_names_it() -> None:
    with pytest.raises(FileNotFoundError, match="no-such.png"):
        resources.path("no-such.png")


def test_desktop_entry_and_metainfo_agree() -> None:
    entry = resources.desktop_entry_path().read_text()
    assert resources.desktop_entry_path().name == f"{resources.APP_ID}.desktop"
    assert f"Icon={resources.APP_ID}" in entry and "Exec=llmdesk" in entry
    root = ET.parse(resources.metainfo_path()).getroot()
    assert root.findtext("id") == resources.APP_ID
    assert root.findtext("launchable") == f"{resources.APP_ID}.desktop"
    assert root.find("releases/release").get("version") == __import__("llmdesk").__version__


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="apt-get install desktop-file-utils")
def test_desktop_entry_is_valid() -> None:
    out = subprocess.run(["desktop-file-validate", str(resources.desktop_entry_path())],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "error" not in out.stdout, out.stdout + out.stderr


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="apt-get install appstream")
def test_metainfo_is_valid() -> None:
    out = subprocess.run(["appstreamcli", "validate", "--no-net", str(resources.metainfo_path())],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_install_desktop_integration(tmp_path: Path) -> None:
    written = resources.install_desktop_integration(tmp_path, exec_command="/opt/llmdesk/llmdesk")
    entry = tmp_path / "applications" / f"{resources.APP_ID}.desktop"
    assert entry in written
    text = entry.read_text()
    assert "Exec=/opt/llmdesk/llmdesk %F" in text and "TryExec=/opt/llmdesk/llmdesk" in text
    assert (tmp_path / "icons/hicolor/scalable/apps" / f"{resources.APP_ID}.svg").is_file()
    assert _png_size(tmp_path / "icons/hicolor/48x48/apps" / f"{resources.APP_ID}.png") == (48, 48)
    assert (tmp_path / "metainfo" / f"{resources.APP_ID}.metainfo.xml").is_file()
    if shutil.which("desktop-file-validate"):
        assert subprocess.run(["desktop-file-validate", str(entry)]).returncode == 0


def test_resources_module_needs_only_the_standard_library() -> None:
    code = ("import sys, llmdesk.core.resources as r; r.style_sheet('light'); r.icon_files(); "
            "print(sorted(m.split('.')[0] for m in sys.modules if m.split('.')[0] in "
            "{'PySide6', 'torch', 'platformdirs', 'transformers'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
