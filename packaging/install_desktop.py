"""Install llmdesk's menu entry, AppStream metainfo and icons for the current user (Linux, XDG folders).

    python packaging/install_desktop.py                         # for a pip install (runs `llmdesk`)
    python packaging/install_desktop.py --exec /opt/llmdesk/llmdesk   # for a PyInstaller build

Uses the same files the package ships (llmdesk.resources); see llmdesk.core.resources.install_desktop_integration.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exec", dest="exec_command", help="the program the menu entry starts (default: llmdesk)")
    parser.add_argument("--data-home", type=Path, help="XDG data folder (default: $XDG_DATA_HOME or ~/.local/share)")
    args = parser.parse_args()
    from llmdesk.core.resources import install_desktop_integration

    written = install_desktop_integration(args.data_home, args.exec_command)
    for path in written:
        print(path)
    apps = written[0].parent
    if shutil.which("update-desktop-database"):
        subprocess.run(["update-desktop-database", str(apps)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
