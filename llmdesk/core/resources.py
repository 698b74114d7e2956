"""The app's icon, style sheets and desktop files, found through :mod:`importlib.resources`.

They live in the repository's ``resources/`` folder, which is installed as the package ``llmdesk.resources`` (see
pyproject's package-dir mapping), so the same calls work from a checkout (editable install), from an installed
wheel and from a PyInstaller bundle. Plain Python: no Qt, no torch, nothing outside the standard library, so it
works in a bare environment too.

Example (in the GUI)::

    icon = QIcon()
    for path in resources.icon_files():
        icon.addFile(str(path))
    app.setStyleSheet(resources.style_sheet("dark"))
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from importlib import resources as _res
from importlib.resources.abc import Traversable
from pathlib import Path

PACKAGE = "llmdesk.resources"
APP_ID = "io.github.llmdesk.llmdesk"
"""Reverse-DNS id: the desktop entry's file name, the AppStream id and the icon's theme name."""

THEMES = ("light", "dark")
_ICON_NAME = re.compile(r"^llmdesk-(\d+)\.png$")
_TRANSLATION_NAME = re.compile(r"^llmdesk_([a-z]{2,3}(?:_[A-Z]{2})?)\.qm$")
_extracted: Path | None = None


def files() -> Traversable:
    """The root of ``llmdesk.resources``."""
    return _res.files(PACKAGE)


def resource(name: str) -> Traversable:
    """One resource by its path inside the package, e.g. ``"icons/llmdesk-64.png"``.

    Raises:
        FileNotFoundError: naming the resource and the package, when it is not there.
    """
    item = files().joinpath(*name.split("/"))
    if not item.is_file():
        raise FileNotFoundError(f"resource {name!r} is missing from {PACKAGE} (a broken install?)")
    return item


def read_text(name: str) -> str:
    return resource(name).read_text(encoding="utf-8")


def path(name: str) -> Path:
    """A real file path for a resource (Qt and desktop tools need paths).

    Resources are plain files in a checkout, a wheel install and a PyInstaller folder; when they are not (a zip
    import), they are copied once to a temporary folder that is removed when the process exits.
    """
    item = resource(name)
    if isinstance(item, Path):
        return item
    global _extracted
    if _extracted is None:
        _extracted = Path(tempfile.mkdtemp(prefix="llmdesk-resources-"))
        atexit.register(shutil.rmtree, _extracted, True)
    target = _extracted.joinpath(*name.split("/"))
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.read_bytes())
    return target


def icon_sizes() -> list[int]:
    """The pixel sizes of the PNG icons that are present, smallest first."""
    icons = files().joinpath("icons")
    if not icons.is_dir():
        return []
    return sorted(int(m.group(1)) for entry in icons.iterdir() if (m := _ICON_NAME.match(entry.name)))


def icon_path(size: int | None = None) -> Path:
    """The app icon: the SVG when ``size`` is None, else the PNG closest to ``size`` pixels (the larger on a tie)."""
    if size is None:
        return path("llmdesk.svg")
    sizes = icon_sizes()
    if not sizes:
        raise FileNotFoundError(f"no PNG icons in {PACKAGE}/icons (a broken install?)")
    best = min(sizes, key=lambda s: (abs(s - size), -s))
    return path(f"icons/llmdesk-{best}.png")


def icon_files() -> list[Path]:
    """Every size of the icon, the SVG first: add them all to a QIcon so each size renders crisply."""
    return [icon_path()] + [icon_path(s) for s in icon_sizes()]


def style_sheet(theme: str) -> str:
    """The Qt style sheet for ``theme`` ("light" or "dark").

    Raises:
        ValueError: for another theme, naming the ones there are.
    """
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}: choose one of {', '.join(THEMES)}")
    return read_text(f"{theme}.qss")


def translation_languages() -> list[str]:
    """The languages the interface is translated into: the codes (``"ko"``, ``"pt_BR"``) of the compiled
    ``translations/llmdesk_<code>.qm`` files that are present, sorted. English, the source language, is not
    listed (its file holds only the plural forms of counted texts)."""
    folder = files().joinpath("translations")
    if not folder.is_dir():
        return []
    return sorted(m.group(1) for entry in folder.iterdir()
                  if (m := _TRANSLATION_NAME.match(entry.name)) and m.group(1) != "en")


def translation_path(language: str) -> Path:
    """The compiled translation (``.qm``) for ``language``, e.g. ``"ko"``.

    Raises:
        FileNotFoundError: when that language is not shipped.
    """
    return path(f"translations/llmdesk_{language}.qm")


def desktop_entry_path() -> Path:
    return path(f"{APP_ID}.desktop")


def metainfo_path() -> Path:
    return path(f"{APP_ID}.metainfo.xml")


def install_desktop_integration(data_home: Path | None = None, exec_command: str | None = None) -> list[Path]:
    """Install the desktop entry, AppStream metainfo and icons for the current user (Linux, XDG layout).

    Args:
        data_home: the XDG data folder; default ``$XDG_DATA_HOME`` or ``~/.local/share``.
        exec_command: the program the menu entry runs (default ``llmdesk``); e.g. the path of a PyInstaller build.

    Returns:
        The files written.
    """
    import os

    home = data_home or Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    written: list[Path] = []

    def put(target: Path, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)

    entry = read_text(f"{APP_ID}.desktop")
    if exec_command:
        entry = re.sub(r"^Exec=\S+", f"Exec={exec_command}", entry, flags=re.M)
        entry = re.sub(r"^TryExec=.*$", f"TryExec={exec_command}", entry, flags=re.M)
    put(home / "applications" / f"{APP_ID}.desktop", entry.encode("utf-8"))
    put(home / "metainfo" / f"{APP_ID}.metainfo.xml", resource(f"{APP_ID}.metainfo.xml").read_bytes())
    icons = home / "icons" / "hicolor"
    put(icons / "scalable" / "apps" / f"{APP_ID}.svg", resource("llmdesk.svg").read_bytes())
    for size in icon_sizes():
        put(icons / f"{size}x{size}" / "apps" / f"{APP_ID}.png", resource(f"icons/llmdesk-{size}.png").read_bytes())
    return written
