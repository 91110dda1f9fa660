"""WCAG colour contrast: pick readable text for a brand colour, check a brand pair."""

import re
from collections.abc import Callable


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_color: str) -> float:
    h = hex_color.lstrip("#")
    if len(h) == 3:
        h = "".join(ch * 2 for ch in h)
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """White or near-black, whichever contrasts more with `background`."""
    try:
        return "#ffffff" if contrast(background, "#ffffff") >= contrast(background, "#111111") else "#111111"
    except ValueError:
        return "#ffffff"


AA_TEXT = 4.5  # WCAG 2.1 AA, normal-size text
PAGE_BACKGROUND = "#f4f5f7"  # --bg in static/portal.css: links and outlined buttons sit on it
_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def normalise(value) -> str | None:
    """`#ABC`, `abc`, `#aabbcc` → `#aabbcc`; anything else → None."""
    match = _HEX.match((value or "").strip())
    if not match:
        return None
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return f"#{digits}"


def _mix(hex_color: str, target: int, amount: float) -> str:
    h = hex_color.lstrip("#")
    channels = [int(h[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(c + (target - c) * amount):02x}" for c in channels)


def suggest(color: str, passes: Callable[[str], bool]) -> str | None:
    """The nearest darker or lighter shade of `color` for which `passes` holds."""
    for step in range(1, 21):
        for target in (0, 255):  # darker first: brand colours usually fail by being light
            candidate = _mix(color, target, step / 20)
            if passes(candidate):
                return candidate
    return None
