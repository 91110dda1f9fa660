"""The demo companies' logo, home-page image and favicon, drawn with Pillow by the seed.

Made to look like a real dealership's branding (a monogram and word mark; a dusk street
scene with the company's own storefront), in the company's colours, in well under a
second.  Local demo data only: Pillow is imported here, never by the app.
"""

import io
import math
import random
from pathlib import Path

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation")]
FONT_FILES = {
    True: ["DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"],
    False: ["DejaVuSans.ttf", "LiberationSans-Regular.ttf"],
}


def _font(size: int, bold: bool = True):
    from PIL import ImageFont

    for folder in FONT_DIRS:
        for name in FONT_FILES[bold]:
            if (folder / name).exists():
                return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)  # Pillow's own font: no system font needed


def _rgb(hex_color: str):
    return tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))


def _mix(a, b, t: float):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def initials(name: str) -> str:
    words = [w for w in name.replace("&", " ").split() if w[:1].isalpha()]
    if words and words[0].isupper() and len(words[0]) <= 3:
        return words[0]  # "ABC Appliance Service": its own acronym
    return "".join(w[0] for w in words[:2]).upper() or "?"


def _monogram(draw, box, text, primary, accent, radius):
    x0, y0, x1, y1 = box
    draw.rounded_rectangle(box, radius=radius, fill=primary)
    size = y1 - y0
    band = max(size // 9, 2)
    draw.rounded_rectangle((x0, y1 - band * 2, x1, y1), radius=radius, fill=accent)
    draw.rectangle((x0, y1 - band * 2, x1, y1 - band), fill=accent)
    draw.rectangle((x0, y1 - band * 2 - 1, x1, y1 - band * 2 + 1), fill=primary)
    font = _font(int(size * 0.46))
    draw.text(
        ((x0 + x1) / 2, y0 + (size - band * 2) / 2 + band * 0.3), text, font=font, fill=(255, 255, 255), anchor="mm"
    )


def logo(name: str, primary_hex: str, accent_hex: str, tagline: str = "") -> bytes:
    """A word mark: a monogram tile, the company's name and a small tagline (560 × 140)."""
    from PIL import Image, ImageDraw

    primary, accent = _rgb(primary_hex), _rgb(accent_hex)
    words = name.split()
    first, rest = words[0], " ".join(words[1:])
    big, small = _font(50), _font(22, bold=False)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    width = (
        150
        + max(
            probe.textlength(first, font=big) + 12 + probe.textlength(rest, font=big),
            probe.textlength(tagline.upper(), font=small) * 1.1,
        )
        + 24
    )
    image = Image.new("RGB", (int(width), 140), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    _monogram(draw, (12, 12, 128, 128), initials(name), primary, accent, 18)
    draw.text((150, 70), first, font=big, fill=primary, anchor="ls")
    draw.text(
        (150 + probe.textlength(first, font=big) + 12, 70),
        rest,
        font=big,
        fill=_mix(primary, (40, 40, 40), 0.55),
        anchor="ls",
    )
    draw.rectangle((150, 84, 150 + 60, 88), fill=accent)
    if tagline:
        draw.text((150, 120), tagline.upper(), font=small, fill=(85, 85, 85), anchor="ls")
    return _png(image)


def favicon(name: str, primary_hex: str, accent_hex: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    _monogram(ImageDraw.Draw(image), (0, 0, 63, 63), initials(name), _rgb(primary_hex), _rgb(accent_hex), 12)
    return _png(image)


def hero(
    name: str, primary_hex: str, accent_hex: str, building: str = "shop", width: int = 1200, height: int = 400
) -> bytes:
    """A dusk street scene: graded sky and sun glow, hills fading into haze, and the
    company's building (a "shop" with a shop window, or a "warehouse" with loading doors)
    carrying its sign, softly lit."""
    from PIL import Image, ImageDraw, ImageFilter

    primary, accent = _rgb(primary_hex), _rgb(accent_hex)
    rng = random.Random(name)
    sky_top = _mix(primary, (10, 14, 30), 0.35)
    horizon = _mix(accent, (255, 236, 210), 0.55)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    ground_y = int(height * 0.78)
    for y in range(height):  # the sky: a vertical gradient, eased towards the horizon
        t = min(y / ground_y, 1.0) ** 1.6
        draw.line([(0, y), (width, y)], fill=_mix(sky_top, horizon, t))

    glow = Image.new("L", (width, height), 0)  # the low sun, blurred into a halo
    ImageDraw.Draw(glow).ellipse((width * 0.16, ground_y - 170, width * 0.16 + 260, ground_y + 90), fill=200)
    glow = glow.filter(ImageFilter.GaussianBlur(60))
    image.paste(Image.new("RGB", (width, height), _mix(accent, (255, 250, 235), 0.6)), mask=glow)

    for layer, (depth, amplitude, base) in enumerate([(0.75, 40, 0.60), (0.5, 55, 0.68), (0.25, 35, 0.74)]):
        # Hills: nearer ones darker and sharper (atmospheric perspective).
        colour = _mix(_mix(primary, (15, 20, 30), 0.5), horizon, depth)
        phase, step = rng.uniform(0, 6.28), rng.uniform(140, 260)
        points: list[tuple[float, float]] = [(0, height)]
        for x in range(0, width + 40, 40):
            ridge_y = height * base - amplitude * (
                math.sin(x / step + phase) * 0.6 + math.sin(x / (step / 2.7) + phase * 2) * 0.4
            )
            points.append((x, ridge_y))
        points.append((width, height))
        hills = Image.new("L", (width, height), 0)
        ImageDraw.Draw(hills).polygon(points, fill=255)
        hills = hills.filter(ImageFilter.GaussianBlur(3 - layer))
        image.paste(Image.new("RGB", (width, height), colour), mask=hills)

    draw = ImageDraw.Draw(image)
    road = _mix(primary, (25, 25, 30), 0.75)
    draw.rectangle((0, ground_y, width, height), fill=road)
    for x in range(0, width, 120):  # lane markings in perspective-free dashes
        draw.rectangle((x + 20, ground_y + 48, x + 80, ground_y + 53), fill=_mix(road, (230, 230, 230), 0.6))

    wall = _mix(primary, (235, 235, 235), 0.82)
    left, right = int(width * 0.45), int(width * 0.95)
    top = int(height * 0.24) if building == "warehouse" else int(height * 0.30)
    draw.rectangle((left, top, right, ground_y), fill=wall)
    draw.rectangle((left - 10, top - 14, right + 10, top), fill=_mix(primary, (20, 20, 20), 0.4))
    sign_h = 50
    draw.rectangle((left + 30, top + 18, right - 30, top + 18 + sign_h), fill=primary)
    draw.rectangle((left + 30, top + 18 + sign_h, right - 30, top + 24 + sign_h), fill=accent)
    font = _font(30)
    draw.text(((left + right) / 2, top + 18 + sign_h / 2), name.upper(), font=font, fill=(255, 255, 255), anchor="mm")
    lit = _mix(accent, (255, 245, 215), 0.7)
    inner_top = top + 18 + sign_h + 24
    if building == "warehouse":
        doors = 3
        span = (right - left - 60) / doors
        for d in range(doors):
            x0 = left + 30 + d * span + 10
            draw.rectangle((x0, inner_top, x0 + span - 20, ground_y), fill=_mix(wall, (60, 60, 60), 0.45))
            for y in range(inner_top + 8, ground_y, 12):
                draw.line([(x0, y), (x0 + span - 20, y)], fill=_mix(wall, (60, 60, 60), 0.6))
    else:
        draw.rectangle((left + 30, inner_top, right - 150, ground_y - 10), fill=lit)
        for x in range(left + 30, right - 150, 70):
            draw.rectangle((x, inner_top, x + 4, ground_y - 10), fill=_mix(wall, (40, 40, 40), 0.5))
        draw.rectangle((right - 120, inner_top, right - 40, ground_y), fill=_mix(lit, primary, 0.35))
    # A van in the company's colours parked in front.
    vx, vy = int(width * 0.16), ground_y + 10
    body = _mix(primary, (255, 255, 255), 0.08)
    draw.rounded_rectangle((vx, vy - 70, vx + 210, vy + 20), radius=14, fill=body)
    draw.rounded_rectangle((vx + 150, vy - 60, vx + 205, vy - 20), radius=8, fill=_mix(horizon, sky_top, 0.3))
    draw.rectangle((vx + 10, vy - 20, vx + 140, vy - 14), fill=accent)
    draw.text((vx + 75, vy - 42), initials(name), font=_font(28), fill=(255, 255, 255), anchor="mm")
    for wx in (vx + 45, vx + 170):
        draw.ellipse((wx - 20, vy + 2, wx + 20, vy + 42), fill=(25, 25, 28))
        draw.ellipse((wx - 8, vy + 14, wx + 8, vy + 30), fill=(150, 150, 150))

    vignette = Image.new("L", (width, height), 0)
    ImageDraw.Draw(vignette).rectangle((0, 0, width, height), outline=120, width=60)
    vignette = vignette.filter(ImageFilter.GaussianBlur(70))
    image.paste(Image.new("RGB", (width, height), (10, 10, 20)), mask=vignette)
    return _png(image.filter(ImageFilter.SMOOTH))
