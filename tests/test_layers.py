"""Layer rules: core and engine never import Qt; importing llmdesk or llmdesk.core never imports torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "llmdesk"
QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "qtpy")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["core", "engine"])
def test_core_and_engine_never_import_qt(package):
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = {n for n in _imports(path) if n.split(".")[0] in QT}
        if bad:
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(bad)}")
    assert not offenders, "Qt imported outside llmdesk/gui:\n" + "\n".join(offenders)


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_importing_llmdesk_and_core_imports_neither_torch_nor_qt():
    core_modules = sorted(p.stem for p in (ROOT / "core").glob("*.py") if p.stem != "__init__")
    code = "import llmdesk, llmdesk.core\n" + "\n".join(f"import llmdesk.core.{m}" for m in core_modules)
    loaded = _modules_after(code)
    assert "torch" not in loaded and "transformers" not in loaded
    assert not {m for m in loaded if m.split(".")[0] in QT}


def test_light_engine_modules_do_not_import_torch():
    loaded = _modules_after("import llmdesk.engine, llmdesk.engine.types, llmdesk.engine.errors")
    assert "torch" not in loaded


def test_command_line_parser_imports_no_heavy_library():
    loaded = _modules_after("from llmdesk.__main__ import build_parser\nbuild_parser()")
    assert not {"torch", "transformers", "PySide6"} & loaded


def test_import_linter_contracts_are_kept():
    """The contracts in pyproject.toml ([tool.importlinter]): the layers commands/gui > engine > core, and no Qt
    in core or engine (also through a third module). ``lint-imports`` exits 1 when one is broken."""
    root = ROOT.parent
    out = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                          "sys.exit(lint_imports_command())"], cwd=root, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout
