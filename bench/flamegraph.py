#!/usr/bin/env python3
"""A flame graph (SVG) from `perf script` output, with nothing but the standard library.

    perf record -e cpu-clock -F 2000 --call-graph dwarf -p PID -o perf.data -- sleep 10
    perf script -i perf.data | bench/flamegraph.py "title" > flame.svg

Each sample's stack (leaf first in `perf script`) is folded root-first; frames with the same name under the same
parent are merged; a frame's width is its share of the samples. Hover a frame for its name, samples and share.
`--folded` prints the folded stacks (`root;…;leaf count`) instead, for diffing two profiles.
"""
import collections
import html
import re
import sys

WIDTH = 1800
ROW = 16
FONT = 11
MIN_WIDTH = 0.3  # pixels: narrower frames are left out


def frames(block):
    """The frame names of one sample, root first."""
    names = []
    for line in block[1:]:
        m = re.match(r"\s*[0-9a-f]+\s+(.*?)(?:\s+\(([^()\s]*)\))?$", line)
        if not m:
            continue
        name = m.group(1)
        name = re.sub(r"\+0x[0-9a-f]+$", "", name)
        if name in ("[unknown]", ""):
            dso = (m.group(2) or "").rsplit("/", 1)[-1]
            name = f"[{dso or 'unknown'}]"
        names.append(name)
    names.reverse()
    return names


def fold(lines):
    counts = collections.Counter()
    block = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if block:
                counts[tuple(frames(block))] += 1
            block = []
        else:
            block.append(line)
    if block:
        counts[tuple(frames(block))] += 1
    return counts


def tree(counts):
    root = {"name": "all", "n": 0, "kids": {}}
    for stack, n in counts.items():
        node = root
        node["n"] += n
        for name in stack:
            node = node["kids"].setdefault(name, {"name": name, "n": 0, "kids": {}})
            node["n"] += n
    return root


def color(name):
    h = 0
    for c in name:
        h = (h * 31 + ord(c)) & 0xFFFFFF
    if name.startswith("endpoints::") or "endpoints::" in name:
        return "rgb(%d,%d,%d)" % (90 + h % 60, 160 + h % 60, 90 + (h >> 8) % 50)  # green: the engine's own code
    if name.startswith(("sqlite3", "rusqlite")):
        return "rgb(%d,%d,%d)" % (90 + h % 40, 140 + h % 60, 220)  # blue: SQLite
    return "rgb(%d,%d,%d)" % (225 + h % 30, 90 + (h >> 4) % 120, 40 + (h >> 8) % 50)


def svg(root, title):
    depth = [0]

    def walk(node, level):
        depth[0] = max(depth[0], level)
        for k in node["kids"].values():
            walk(k, level + 1)

    walk(root, 0)
    height = (depth[0] + 3) * ROW
    total = root["n"] or 1
    scale = WIDTH / total
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="monospace" '
        f'font-size="{FONT}">',
        f'<rect width="{WIDTH}" height="{height}" fill="#f8f8f8"/>',
        f'<text x="{WIDTH / 2}" y="{ROW}" text-anchor="middle" font-size="{FONT + 3}">{html.escape(title)}</text>',
    ]

    def draw(node, x, level):
        w = node["n"] * scale
        if w < MIN_WIDTH:
            return
        y = height - (level + 1) * ROW
        share = 100.0 * node["n"] / total
        label = html.escape(node["name"])
        out.append(f'<g><title>{label} ({node["n"]} samples, {share:.2f}%)</title>'
                   f'<rect x="{x:.2f}" y="{y}" width="{w:.2f}" height="{ROW - 1}" fill="{color(node["name"])}"/>')
        chars = int(w / (FONT * 0.6))
        if chars >= 3:
            text = node["name"] if len(node["name"]) <= chars else node["name"][: chars - 2] + ".."
            out.append(f'<text x="{x + 2:.2f}" y="{y + ROW - 4}">{html.escape(text)}</text>')
        out.append("</g>")
        for k in sorted(node["kids"].values(), key=lambda k: k["name"]):
            draw(k, x, level + 1)
            x += k["n"] * scale

    draw(root, 0.0, 0)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    args = sys.argv[1:]
    folded = "--folded" in args
    args = [a for a in args if a != "--folded"]
    counts = fold(sys.stdin)
    if folded:
        try:
            for stack, n in sorted(counts.items(), key=lambda kv: -kv[1]):
                print(";".join(stack), n)
        except BrokenPipeError:
            pass
        return 0
    sys.stdout.write(svg(tree(counts), args[0] if args else "flame graph"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
