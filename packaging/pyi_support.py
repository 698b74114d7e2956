"""Helpers for packaging/llmdesk.spec (plain Python, importable and tested without PyInstaller).

The repository maps its top-level ``resources/`` folder to the package ``llmdesk.resources`` (pyproject's
package-dir), and a development install reaches it through setuptools' editable finder, which PyInstaller's
module analysis cannot follow. So the build first stages a plain copy of the package, ``llmdesk/`` with
``resources/`` inside it as ``llmdesk/resources/``, and analyses that.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Modules that are never needed by the app: test frameworks, notebooks, GUI toolkits other than Qt, plotting,
# torch's TensorBoard writer. (torch.testing._internal must stay: torch.utils.checkpoint imports it.)
EXCLUDES = [
    "tkinter", "_tkinter", "pytest", "_pytest", "pytestqt", "IPython", "ipykernel", "jupyter", "notebook",
    "matplotlib", "tensorboard", "torch.utils.tensorboard", "triton",
    "PyInstaller", "setuptools", "pip", "tests",
]

# transformers imports model classes by name at run time (AutoModelForCausalLM maps a config's model_type to a
# module), which static analysis cannot see. These prefixes are left out of the collected submodules: conversion
# scripts and test helpers.
TRANSFORMERS_SKIP = ("convert_", "testing_utils", "transformers.commands", "transformers.cli")

# Imported lazily by our code or by transformers/huggingface_hub, so not found by analysis.
EXTRA_HIDDEN_IMPORTS = ["jinja2", "jinja2.ext", "safetensors.torch", "accelerate", "hf_xet", "filelock",
                        "tokenizers", "platformdirs"]


# Files the torch hook collects that the app never runs: C++ unit-test programs and command-line tools (about
# 130 MB with torch 2.13 CPU), headers and CMake files. torch_shm_manager stays (see KEEP_FILES).
DROP_PREFIXES = ("torch/test/", "torch/bin/", "torch/include/", "torch/share/cmake/")


KEEP_FILES = ("torch/bin/torch_shm_manager",)  # torch checks at import that this helper program exists


def keep_file(dest_name: str) -> bool:
    """Whether a collected binary or data file (by its path inside the bundle) stays in the build."""
    name = dest_name.replace("\\", "/")
    return name in KEEP_FILES or not name.startswith(DROP_PREFIXES)


def stage_sources(dest: Path, root: Path = ROOT) -> Path:
    """Copy ``llmdesk/`` and ``resources/`` (as ``llmdesk/resources/``) into ``dest``; return ``dest``."""
    package = dest / "llmdesk"
    if package.exists():
        shutil.rmtree(package)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(root / "llmdesk", package, ignore=ignore)
    shutil.copytree(root / "resources", package / "resources", ignore=ignore)
    return dest


def llmdesk_modules(staged: Path) -> list[str]:
    """Every module of the staged package (subcommands and GUI modules are imported by name at run time)."""
    names = []
    for path in sorted((staged / "llmdesk").rglob("*.py")):
        parts = list(path.relative_to(staged).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def resource_datas(staged: Path) -> list[tuple[str, str]]:
    """(source, destination folder) pairs for every non-Python file of llmdesk.resources."""
    base = staged / "llmdesk" / "resources"
    return [(str(p), str(Path("llmdesk/resources") / p.parent.relative_to(base)))
            for p in sorted(base.rglob("*")) if p.is_file() and p.suffix not in (".py", ".pyc")]


def keep_transformers_module(name: str) -> bool:
    return not any(part.startswith(TRANSFORMERS_SKIP) or name.startswith(TRANSFORMERS_SKIP)
                   for part in name.split("."))
