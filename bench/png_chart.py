"""A horizontal bar chart as a PNG, in pure Python (zlib + struct): no plotting library.

Each row is a ratio with an optional target drawn as a vertical tick; bars are green
when the target is met, red when not, grey without a target. Text uses a built-in
5x7 pixel font (upper case, digits and a little punctuation).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

# 5x7 glyphs, one string of 7 rows of 5 pixels each ("#" = ink).
_FONT_ROWS = {
    "A": ".###.#...##...#######...##...##...#",
    "B": "####.#...##...#####.#...##...#####.",
    "C": ".###.#...##....#....#....#...#.###.",
    "D": "####.#...##...##...##...##...#####.",
    "E": "######....#....####.#....#....#####",
    "F": "######....#....####.#....#....#....",
    "G": ".###.#...##....#.####...##...#.####",
    "H": "#...##...##...#######...##...##...#",
    "I": ".###...#....#....#....#....#...###.",
    "J": "..###...#....#....#....#.#..#..##..",
    "K": "#...##..#.#.#..##...#.#..#..#.#...#",
    "L": "#....#....#....#....#....#....#####",
    "M": "#...###.###.#.##...##...##...##...#",
    "N": "#...###..##.#.##..###...##...##...#",
    "O": ".###.#...##...##...##...##...#.###.",
    "P": "####.#...##...#####.#....#....#....",
    "Q": ".###.#...##...##...##.#.##..#..##.#",
    "R": "####.#...##...#####.#.#..#..#.#...#",
    "S": ".####.....#.....###.....#....#####.",
    "T": "#####..#....#....#....#....#....#..",
    "U": "#...##...##...##...##...##...#.###.",
    "V": "#...##...##...##...##...#.#.#...#..",
    "W": "#...##...##...##.#.##.#.##.#.#.#.#.",
    "X": "#...##...#.#.#...#...#.#.#...##...#",
    "Y": "#...##...#.#.#...#....#....#....#..",
    "Z": "#####....#...#...#...#...#....#####",
    "0": ".###.#...##..###.#.###..##...#.###.",
    "1": "..#...##....#....#....#....#...###.",
    "2": ".###.#...#....#...#...#...#...#####",
    "3": "#####...#...#.....#.....##...#.###.",
    "4": "...#...##..#.#.#..#.#####...#....#.",
    "5": "######....####.....#....##...#.###.",
    "6": "..##..#...#....####.#...##...#.###.",
    "7": "#####....#...#...#...#....#....#...",
    "8": ".###.#...##...#.###.#...##...#.###.",
    "9": ".###.#...##...#.####....#...#..##..",
    ".": "..............................##...",
    ",": "......................##...##..#...",
    "/": "....#....#...#...#...#...#....#....",
    "-": "...............#####...............",
    "+": ".......#....#..#####..#....#.......",
    "(": "...#...#...#....#....#.....#.....#.",
    ")": ".#.....#.....#....#....#...#...#...",
    ":": "......##...##........##...##.......",
    "<": "...#...#...#...#.....#.....#.....#.",
    ">": "#.....#.....#.....#...#...#...#....",
    "=": "..........#####.....#####..........",
    "%": "##...##..#...#...#...#...#..##...##",
    " ": "",
}
GLYPH_W, GLYPH_H = 5, 7


def _glyph(char: str) -> list[str]:
    rows = _FONT_ROWS.get(char.upper(), _FONT_ROWS["-"])
    rows = rows.ljust(GLYPH_W * GLYPH_H, ".")[: GLYPH_W * GLYPH_H]
    return [rows[i : i + GLYPH_W] for i in range(0, GLYPH_W * GLYPH_H, GLYPH_W)]


class Canvas:
    def __init__(self, width: int, height: int, background=(255, 255, 255)) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(background) * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, color) -> None:
        x0, x1 = max(0, min(x0, x1)), min(self.width, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height, max(y0, y1))
        row = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            start = (y * self.width + x0) * 3
            self.pixels[start : start + len(row)] = row

    def text(self, x: int, y: int, text: str, color=(0, 0, 0), scale: int = 2) -> int:
        """Draw ``text`` with its top-left corner at (x, y); returns the x after it."""
        for char in text:
            for gy, row in enumerate(_glyph(char)):
                for gx, ink in enumerate(row):
                    if ink == "#":
                        px, py = x + gx * scale, y + gy * scale
                        self.rect(px, py, px + scale, py + scale, color)
            x += (GLYPH_W + 1) * scale
        return x

    def png(self) -> bytes:
        raw = b"".join(
            b"\x00" + bytes(self.pixels[y * self.width * 3 : (y + 1) * self.width * 3]) for y in range(self.height)
        )

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


@dataclass
class Bar:
    label: str
    value: float | None  # None: not measured (drawn as text only)
    target: float | None = None  # met when value <= target


GREEN, RED, GREY, BLACK, TICK = (60, 160, 80), (210, 70, 60), (150, 150, 150), (20, 20, 20), (30, 30, 200)


def bar_chart(title: str, bars: list[Bar], path: Path, width: int = 960) -> None:
    scale = 2
    char_w = (GLYPH_W + 1) * scale
    label_w = max(len(b.label) for b in bars) * char_w + 20
    row_h, top = 34, 60
    height = top + row_h * len(bars) + 40
    plot_x0, plot_x1 = label_w, width - 120
    values = [v for b in bars for v in (b.value, b.target) if v is not None]
    vmax = max(values + [1.0]) * 1.05
    canvas = Canvas(width, height)
    canvas.text(12, 14, title, BLACK, scale)
    canvas.text(12, 36, "LOWER IS BETTER. BLUE TICK = TARGET, GREEN = MET, RED = NOT MET", GREY, 1)

    def x_of(v: float) -> int:
        return plot_x0 + int((plot_x1 - plot_x0) * v / vmax)

    for i, bar in enumerate(bars):
        y = top + i * row_h
        canvas.text(10, y + 8, bar.label, BLACK, scale)
        if bar.value is None:
            canvas.text(plot_x0 + 6, y + 8, "NOT IMPLEMENTED", GREY, scale)
            continue
        color = GREY if bar.target is None else (GREEN if bar.value <= bar.target else RED)
        canvas.rect(plot_x0, y + 4, x_of(bar.value), y + row_h - 6, color)
        if bar.target is not None:
            tx = x_of(bar.target)
            canvas.rect(tx - 1, y, tx + 2, y + row_h - 2, TICK)
        canvas.text(x_of(bar.value) + 8, y + 8, f"{bar.value:.2f}X", BLACK, scale)
    # the 1x line: as fast as the baseline
    one = x_of(1.0)
    canvas.rect(one, top - 4, one + 1, top + row_h * len(bars), BLACK)
    canvas.text(one - 8, top + row_h * len(bars) + 6, "1X", BLACK, scale)
    path.write_bytes(canvas.png())
