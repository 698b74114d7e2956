"""The packaging files are consistent (the PyInstaller build itself runs in packaging/build.sh, not in the tests:
it takes minutes and about a gigabyte)."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"


def _support():
    spec = importlib.util.spec_from_file_location("pyi_support", PACKAGING / "pyi_support.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_staging_puts_resources_inside_the_package(tmp_path: Path) -> None:
    support = _support()
    staged = support.stage_sources(tmp_path / "staged")
    assert (staged / "llmdesk" / "resources" / "llmdesk.svg").is_file()
    assert (staged / "llmdesk" / "resources" / "icons" / "llmdesk-512.png").is_file()
    assert (staged / "llmdesk" / "resources" / "__init__.py").is_file()
    modules = support.llmdesk_modules(staged)
    assert {"llmdesk", "llmdesk.__main__", "llmdesk.resources", "llmdesk.engine.download",
            "llmdesk.gui.models.model_picker", "llmdesk.core.resources"} <= set(modules)
    datas = dict(support.resource_datas(staged))
    assert datas[str(staged / "llmdesk/resources/light.qss")] == "llmdesk/resources"
    assert datas[str(staged / "llmdesk/resources/icons/llmdesk-16.png")] == "llmdesk/resources/icons"
    assert not any(src.endswith(".py") for src in datas)
    # staging twice replaces the old copy
    (staged / "llmdesk" / "stale.py").write_text("")
    support.stage_sources(tmp_path / "staged")
    assert not (staged / "llmdesk" / "stale.py").exists()


def test_every_command_module_is_a_hidden_import(tmp_path: Path) -> None:
    """Subcommands are imported by name at run time; the frozen app must contain each of them."""
    from llmdesk.__main__ import COMMANDS

    support = _support()
    modules = set(support.llmdesk_modules(support.stage_sources(tmp_path / "staged")))
    for module, _help in COMMANDS.values():
        if (ROOT / "llmdesk" / "commands" / f"{module}.py").exists():
            assert f"llmdesk.commands.{module}" in modules


def test_transformers_filter_keeps_models_and_drops_converters() -> None:
    keep = _support().keep_transformers_module
    assert keep("transformers.models.phi3.modeling_phi3")
    assert keep("transformers.models.auto.modeling_auto")
    assert not keep("transformers.models.llama.convert_llama_weights_to_hf")
    assert not keep("transformers.testing_utils")
    assert not keep("transformers.commands.serving")


def test_torch_test_programs_are_dropped_but_torch_is_kept() -> None:
    support = _support()
    assert not support.keep_file("torch/test/atest")
    assert not support.keep_file("torch/bin/protoc")
    assert support.keep_file("torch/bin/torch_shm_manager")  # torch refuses to import without it
    assert support.keep_file("torch/lib/libtorch_cpu.so")
    assert support.keep_file("torch/_C.cpython-311-x86_64-linux-gnu.so")
    assert "torch.testing._internal" not in support.EXCLUDES  # torch.utils.checkpoint imports it


def test_spec_and_scripts_are_well_formed() -> None:
    for name in ("llmdesk.spec", "pyi_support.py", "llmdesk_entry.py", "render_icons.py", "install_desktop.py"):
        ast.parse((PACKAGING / name).read_text(), filename=name)
    spec = (PACKAGING / "llmdesk.spec").read_text()
    assert "llmdesk_entry.py" in spec and "COLLECT(" in spec and "BUNDLE(" in spec
    for icon in ("llmdesk.ico", "llmdesk.icns"):
        assert icon in spec and (PACKAGING / icon).stat().st_size > 1000
    assert subprocess.run(["bash", "-n", str(PACKAGING / "build.sh")]).returncode == 0
    readme = (PACKAGING / "README.md").read_text()
    assert "## Windows" in readme and "## macOS" in readme and "## Linux" in readme


def test_install_desktop_script(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, str(PACKAGING / "install_desktop.py"), "--data-home", str(tmp_path),
                          "--exec", "/opt/llmdesk/llmdesk"], capture_output=True, text=True, check=True)
    entry = tmp_path / "applications" / "io.github.llmdesk.llmdesk.desktop"
    assert str(entry) in out.stdout
    assert "Exec=/opt/llmdesk/llmdesk" in entry.read_text()


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="apt-get install desktop-file-utils")
def test_installed_entry_is_valid(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(PACKAGING / "install_desktop.py"), "--data-home", str(tmp_path)],
                   capture_output=True, check=True)
    entry = tmp_path / "applications" / "io.github.llmdesk.llmdesk.desktop"
    assert subprocess.run(["desktop-file-validate", str(entry)]).returncode == 0


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="apt-get install xvfb")
def test_xvfb_screenshot_tool(tmp_path: Path) -> None:
    """The tool used to screenshot the built app: start a small Qt window on Xvfb, grab the screen."""
    program = ("import sys; from PySide6.QtWidgets import QApplication, QLabel; app = QApplication(sys.argv); "
               "w = QLabel('llmdesk screenshot check'); w.resize(400, 200); "
               "w.setStyleSheet('background: #3b5bdb; color: white;'); w.show(); app.exec()")
    shot = tmp_path / "shot.png"
    out = subprocess.run([sys.executable, str(PACKAGING / "xvfb_screenshot.py"), str(shot), "--size", "640x480",
                          "--settle", "0.5", "--timeout", "60", "--", sys.executable, "-c", program],
                         capture_output=True, text=True, timeout=120)
    if "xcb" in out.stderr and "could not" in out.stderr.lower():
        pytest.skip("Qt's xcb platform needs libxcb-cursor0 and friends (apt-get install libxcb-cursor0)")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "first pixels after" in out.stdout
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert (image.width(), image.height()) == (640, 480)
    assert image.pixelColor(100, 100).name() == "#3b5bdb"


def test_every_package_folder_is_listed_for_the_wheel():
    """pyproject.toml lists the packages (resources/ is mapped to llmdesk.resources, which rules out automatic
    discovery): a new package folder that is not listed would be missing from the wheel."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "llmdesk").rglob("__init__.py")}
    assert found - listed == set(), f"add these to [tool.setuptools] packages: {sorted(found - listed)}"
