"""Chinese labels in the notebooks' charts: matplotlib's default font (DejaVu Sans) has no Chinese
glyphs and draws boxes. `use_cjk_font()` picks an installed font that has them."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

INSTALL = ("no font with Chinese glyphs is installed, so Chinese labels show as boxes; install "
           "one (Debian/Ubuntu: sudo apt-get install fonts-noto-cjk; Fedora: sudo dnf install "
           "google-noto-sans-cjk-fonts; macOS and Windows ship one), then delete matplotlib's "
           "font cache (rm -r ~/.cache/matplotlib) and restart the kernel")
PROBE = "国"


def _has_chinese(path: str) -> bool:
    try:
        return FT2Font(path).get_char_index(ord(PROBE)) != 0
    except (OSError, RuntimeError):
        return False


def use_cjk_font() -> str | None:
    """Make the first installed font with Chinese glyphs (a sans-serif one when there is one)
    matplotlib's sans-serif font, and return its name; print how to install one when none is."""
    candidates = sorted({(f.name, f.fname) for f in font_manager.fontManager.ttflist},
                        key=lambda f: ("Sans" not in f[0] and "Hei" not in f[0], " SC" not in f[0], f[0]))
    name = next((n for n, path in candidates if _has_chinese(path)), None)
    if name is None:
        print(INSTALL)
        return None
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = [name, *plt.rcParams["font.sans-serif"]]
    plt.rcParams["axes.unicode_minus"] = False  # the CJK fonts' minus sign is often missing
    return name
