#!/usr/bin/env bash
# Build the one-folder app with PyInstaller into dist/llmdesk/ and print its size.
#
#   packaging/build.sh            # build
#   packaging/build.sh --check    # build, then start it under Xvfb and print the time to the first window
#
# Needs the project's environment (torch, transformers, PySide6) plus `pip install pyinstaller`.
# PYTHON picks the interpreter (default: python from the active environment).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python}
if ! "$PYTHON" -m PyInstaller --version >/dev/null 2>&1; then
  echo "build.sh: PyInstaller is missing: $PYTHON -m pip install pyinstaller" >&2
  exit 1
fi

start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/llmdesk.spec
echo "build.sh: built dist/llmdesk in $(( $(date +%s) - start )) s; size $(du -sh dist/llmdesk | cut -f1)"

if [ "${1:-}" = "--check" ]; then
  if ! command -v xvfb-run >/dev/null 2>&1; then
    echo "build.sh: --check needs xvfb-run (apt-get install xvfb)" >&2
    exit 1
  fi
  dist/llmdesk/llmdesk --version
  # The window opens, reports when it was first painted, and closes (no model is loaded).
  xvfb-run -a -s "-screen 0 1280x800x24" dist/llmdesk/llmdesk --measure-startup
fi
