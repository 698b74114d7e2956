"""Render the app icon's PNG sizes (and the Windows .ico / macOS .icns) from resources/llmdesk.svg with Qt.

Run from the repository root after editing the SVG:

    QT_QPA_PLATFORM=offscreen python packaging/render_icons.py

Writes resources/icons/llmdesk-<size>.png for 16..512, packaging/llmdesk.ico and packaging/llmdesk.icns.
"""

from __future__ import annotations

import sys
from pathlib import Path

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ROOT = Path(__file__).resolve().parents[1]


def render(svg: Path, size: int):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - QImage needs an application
    svg = ROOT / "resources" / "llmdesk.svg"
    out = ROOT / "resources" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        path = out / f"llmdesk-{size}.png"
        if not render(svg, size).save(str(path), "PNG"):
            raise SystemExit(f"render_icons: could not write {path}")
        print(path.relative_to(ROOT))
    # Windows: one .ico with the 256 px image (Windows scales it down); macOS: .icns from the 512 px image.
    for name, fmt, size in (("llmdesk.ico", "ICO", 256), ("llmdesk.icns", "ICNS", 512)):
        path = ROOT / "packaging" / name
        if not render(svg, size).save(str(path), fmt):
            raise SystemExit(f"render_icons: could not write {path} (no {fmt} image plugin)")
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
