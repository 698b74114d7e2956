"""The resources are found from an installed wheel: build the wheel, install it (no dependencies) into a fresh venv
without torch or Qt, and look the files up through importlib.resources from outside the checkout. Takes about
half a minute (the wheel build runs setuptools in an isolated environment)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHECK = r"""
import json, sys
import llmdesk, llmdesk.core.resources as r
out = {
    "package": llmdesk.__file__,
    "svg": str(r.icon_path()),
    "png64": str(r.icon_path(64)),
    "sizes": r.icon_sizes(),
    "light": len(r.style_sheet("light")),
    "dark": len(r.style_sheet("dark")),
    "desktop": str(r.desktop_entry_path()),
    "metainfo": str(r.metainfo_path()),
    "heavy": sorted(m for m in ("torch", "PySide6", "transformers") if m in sys.modules),
}
print(json.dumps(out))
"""


@pytest.mark.slow
def test_resources_are_found_from_an_installed_wheel(tmp_path: Path) -> None:
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("llmdesk", "resources"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(src)],
                   check=True, cwd=tmp_path)
    [wheel] = wheels.glob("llmdesk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"llmdesk/resources/llmdesk.svg", "llmdesk/resources/icons/llmdesk-512.png",
            "llmdesk/resources/light.qss", "llmdesk/resources/dark.qss",
            "llmdesk/resources/io.github.llmdesk.llmdesk.desktop",
            "llmdesk/resources/io.github.llmdesk.llmdesk.metainfo.xml",
            "llmdesk/resources/translations/llmdesk_ko.qm", "llmdesk/resources/translations/llmdesk_en.qm"} <= names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                    str(wheel)], check=True, cwd=tmp_path)
    run = subprocess.run([str(python), "-I", "-c", CHECK], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    site = str(venv)
    for key in ("package", "svg", "png64", "desktop", "metainfo"):
        assert found[key].startswith(site), f"{key} came from {found[key]}, not the installed wheel"
        assert Path(found[key]).is_file()
    assert found["png64"].endswith("icons/llmdesk-64.png")
    assert found["sizes"] == [16, 24, 32, 48, 64, 128, 256, 512]
    assert found["light"] > 500 and found["dark"] > 500
    assert found["heavy"] == []
