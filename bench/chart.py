#!/usr/bin/env python3
"""Draws bench/per_activity_cost.png from a results.json: per-activity cost (us) of each variant,
live single-row (1 client, synchronous_commit off and on) and bulk COPY. Pure Python (zlib + a
5x7 bitmap font), because matplotlib is not installable here.
usage: chart.py results.json out.png"""
import json
import struct
import sys
import zlib

# 5x7 glyphs, one string of 7 rows per character ('#' = ink).
FONT_ROWS = {
    " ": ["     "] * 7,
    "0": [" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "],
    "1": ["  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
    "2": [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
    "3": ["#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "],
    "4": ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
    "5": ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
    "6": ["  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "],
    "7": ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
    "8": [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
    "9": [" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "],
    "a": ["     ", "     ", " ### ", "    #", " ####", "#   #", " ####"],
    "b": ["#    ", "#    ", "# ## ", "##  #", "#   #", "#   #", "#### "],
    "c": ["     ", "     ", " ### ", "#    ", "#    ", "#   #", " ### "],
    "d": ["    #", "    #", " ## #", "#  ##", "#   #", "#   #", " ####"],
    "e": ["     ", "     ", " ### ", "#   #", "#####", "#    ", " ### "],
    "f": ["  ## ", " #  #", " #   ", "###  ", " #   ", " #   ", " #   "],
    "g": ["     ", " ####", "#   #", "#   #", " ####", "    #", " ### "],
    "h": ["#    ", "#    ", "# ## ", "##  #", "#   #", "#   #", "#   #"],
    "i": ["  #  ", "     ", " ##  ", "  #  ", "  #  ", "  #  ", " ### "],
    "j": ["   # ", "     ", "  ## ", "   # ", "   # ", "#  # ", " ##  "],
    "k": ["#    ", "#    ", "#  # ", "# #  ", "##   ", "# #  ", "#  # "],
    "l": [" ##  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
    "m": ["     ", "     ", "## # ", "# # #", "# # #", "#   #", "#   #"],
    "n": ["     ", "     ", "# ## ", "##  #", "#   #", "#   #", "#   #"],
    "o": ["     ", "     ", " ### ", "#   #", "#   #", "#   #", " ### "],
    "p": ["     ", "     ", "#### ", "#   #", "#### ", "#    ", "#    "],
    "q": ["     ", "     ", " ## #", "#  ##", " ####", "    #", "    #"],
    "r": ["     ", "     ", "# ## ", "##  #", "#    ", "#    ", "#    "],
    "s": ["     ", "     ", " ####", "#    ", " ### ", "    #", "#### "],
    "t": [" #   ", " #   ", "###  ", " #   ", " #   ", " #  #", "  ## "],
    "u": ["     ", "     ", "#   #", "#   #", "#   #", "#  ##", " ## #"],
    "v": ["     ", "     ", "#   #", "#   #", "#   #", " # # ", "  #  "],
    "w": ["     ", "     ", "#   #", "#   #", "# # #", "# # #", " # # "],
    "x": ["     ", "     ", "#   #", " # # ", "  #  ", " # # ", "#   #"],
    "y": ["     ", "     ", "#   #", "#   #", " ####", "    #", " ### "],
    "z": ["     ", "     ", "#####", "   # ", "  #  ", " #   ", "#####"],
    "A": [" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"],
    "B": ["#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### "],
    "C": [" ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### "],
    "D": ["###  ", "#  # ", "#   #", "#   #", "#   #", "#  # ", "###  "],
    "E": ["#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"],
    "F": ["#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "],
    "G": [" ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####"],
    "H": ["#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"],
    "I": [" ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
    "J": ["  ###", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  "],
    "K": ["#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #"],
    "L": ["#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"],
    "M": ["#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"],
    "N": ["#   #", "#   #", "##  #", "# # #", "#  ##", "#   #", "#   #"],
    "O": [" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
    "P": ["#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    "],
    "Q": [" ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #"],
    "R": ["#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"],
    "S": [" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "],
    "T": ["#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "],
    "U": ["#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
    "V": ["#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  "],
    "W": ["#   #", "#   #", "#   #", "# # #", "# # #", "# # #", " # # "],
    "X": ["#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #"],
    "Y": ["#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  "],
    "Z": ["#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####"],
    ".": ["     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "],
    ",": ["     ", "     ", "     ", "     ", " ##  ", "  #  ", " #   "],
    ":": ["     ", " ##  ", " ##  ", "     ", " ##  ", " ##  ", "     "],
    ";": ["     ", " ##  ", " ##  ", "     ", " ##  ", "  #  ", " #   "],
    "/": ["     ", "    #", "   # ", "  #  ", " #   ", "#    ", "     "],
    "(": ["   # ", "  #  ", " #   ", " #   ", " #   ", "  #  ", "   # "],
    ")": [" #   ", "  #  ", "   # ", "   # ", "   # ", "  #  ", " #   "],
    "-": ["     ", "     ", "     ", "#####", "     ", "     ", "     "],
    "+": ["     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     "],
    "=": ["     ", "     ", "#####", "     ", "#####", "     ", "     "],
    "%": ["##   ", "##  #", "   # ", "  #  ", " #   ", "#  ##", "   ##"],
    "_": ["     ", "     ", "     ", "     ", "     ", "     ", "#####"],
    "'": [" ##  ", "  #  ", " #   ", "     ", "     ", "     ", "     "],
    ">": [" #   ", "  #  ", "   # ", "    #", "   # ", "  #  ", " #   "],
    "<": ["   # ", "  #  ", " #   ", "#    ", " #   ", "  #  ", "   # "],
    "?": [" ### ", "#   #", "    #", "   # ", "  #  ", "     ", "  #  "],
    "!": ["  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "     ", "  #  "],
    "*": ["     ", "  #  ", "# # #", " ### ", "# # #", "  #  ", "     "],
    "~": ["     ", "     ", " #   ", "# # #", "   # ", "     ", "     "],
    "&": [" ##  ", "#  # ", "# #  ", " #   ", "# # #", "#  # ", " ## #"],
}


class Canvas:
    def __init__(self, w, h, bg=(255, 255, 255)):
        self.w, self.h = w, h
        self.px = [bytearray(bytes(bg) * w) for _ in range(h)]

    def rect(self, x0, y0, x1, y1, color):
        x0, x1 = max(0, min(x0, x1)), min(self.w, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.h, max(y0, y1))
        row = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            self.px[y][3 * x0:3 * x1] = row

    def hatch(self, x0, y0, x1, y1, color):
        for y in range(max(0, y0), min(self.h, y1)):
            for x in range(max(0, x0), min(self.w, x1)):
                if (x + y) % 6 < 2:
                    self.px[y][3 * x:3 * x + 3] = bytes(color)

    def text(self, x, y, s, color=(0, 0, 0), scale=2):
        for ch in s:
            glyph = FONT_ROWS.get(ch, FONT_ROWS["?"])
            for gy, row in enumerate(glyph):
                for gx, c in enumerate(row):
                    if c == "#":
                        self.rect(x + gx * scale, y + gy * scale, x + (gx + 1) * scale, y + (gy + 1) * scale, color)
            x += 6 * scale

    @staticmethod
    def text_width(s, scale=2):
        return len(s) * 6 * scale

    def png(self, path):
        raw = b"".join(b"\x00" + bytes(r) for r in self.px)

        def chunk(kind, data):
            c = struct.pack(">I", len(data)) + kind + data
            return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
            f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)))
            f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
            f.write(chunk(b"IEND", b""))


COLORS = {"none": (150, 150, 150), "floor": (70, 130, 180), "autotime": (214, 96, 40), "plpgsql": (120, 80, 160)}
NAMES = {"none": "no capture", "floor": "floor (plain SQL)", "autotime": "autotime", "plpgsql": "PL/pgSQL trigger"}


def last(results, **kw):
    for r in reversed(results):
        if all(r.get(k) == v for k, v in kw.items()):
            return r
    return None


def panel(cv, x, y, w, h, title, bars, note):
    """bars: list of (variant, value_us or None, predicted: bool, label)."""
    cv.text(x, y, title, scale=2)
    top = y + 30
    base = y + h - 40
    vmax = max([v for _, v, _, _ in bars if v] + [1e-9])
    bw = (w - 20) // max(1, len(bars))
    for i, (variant, value, predicted, label) in enumerate(bars):
        bx = x + 10 + i * bw + bw // 6
        bx1 = bx + bw * 2 // 3
        if value:
            shown = min(value, vmax)
            by = base - int((base - top - 24) * shown / vmax)
            if predicted:
                cv.rect(bx, by, bx1, by + 2, COLORS[variant])
                cv.hatch(bx, by, bx1, base, COLORS[variant])
            else:
                cv.rect(bx, by, bx1, base, COLORS[variant])
            cv.text(bx + (bx1 - bx - cv.text_width(label)) // 2, by - 20, label, scale=2)
        else:
            cv.text(bx, base - 20, "n/a", scale=2)
        name = NAMES[variant]
        cv.text(bx + (bx1 - bx - cv.text_width(name, 1)) // 2, base + 6, name, scale=1)
    cv.rect(x, base, x + w, base + 1, (0, 0, 0))
    if note:
        cv.text(x, base + 22, note, (90, 90, 90), scale=1)


def main():
    doc = json.load(open(sys.argv[1]))
    res = doc["results"]
    env = doc["environment"]
    panels = []
    for sync in ["off", "on"]:
        bars = []
        for v in ["none", "floor", "autotime", "plpgsql"]:
            r = last(res, section="single", variant=v, clients=1, sync=sync)
            us = r["us_per_insert"] if r else None
            bars.append((v, us, False, f"{us:.0f}" if us else ""))
        panels.append((f"live, 1 client, sync {sync} (us/insert)", bars, "pgbench -M prepared, per insert"))
    bars = []
    n = None
    for v in ["none", "floor", "autotime", "plpgsql"]:
        r = last(res, section="bulk", variant=v, method="copy")
        if not r:
            bars.append((v, None, False, ""))
            continue
        n = r["n"]
        if r.get("seconds"):
            us = r["seconds"] * 1e6 / n
            bars.append((v, us, False, f"{us:.1f}"))
        elif r.get("us_per_row_at_least"):
            us = r["us_per_row_at_least"]
            bars.append((v, us, True, f">{us:,.0f}"))
        else:
            bars.append((v, None, False, ""))
    # A timed-out bar can dwarf the rest: clip the axis at 3x the largest measured bar.
    measured = [b[1] for b in bars if b[1] and not b[2]]
    if measured:
        clip = 3 * max(measured)
        bars = [(v, min(val, clip) if val else val, p, lab) for v, val, p, lab in bars]
    note = f"COPY of {n:,} calls, per activity" if n else ""
    if any(b[2] for b in bars):
        note += "; hatched = timed out (lower bound), axis clipped"
    panels.append(("bulk COPY (us/activity)", bars, note))

    W, H = 1650, 470
    cv = Canvas(W, H)
    cv.text(20, 12, f"autotime: cost per activity  ({env.get('date', '')}, {env.get('cores', '?')} cores, "
                    f"{env.get('mode', '')} run, lower is better)", scale=2)
    pw = (W - 40) // len(panels)
    for i, (title, bars, note) in enumerate(panels):
        panel(cv, 20 + i * pw, 50, pw - 30, H - 70, title, bars, note)
    cv.png(sys.argv[2])


if __name__ == "__main__":
    main()
