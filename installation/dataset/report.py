"""report.html: one self-contained page (inline SVG charts, base64 thumbnails) about a run."""

from __future__ import annotations

import base64
import math
import random
import time
from collections import Counter, defaultdict
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import cv2

from installation.dataset import charts
from installation.dataset.options import color_name
from installation.dataset.workdir import WorkDir

if TYPE_CHECKING:  # the pipeline imports this module: only the type goes the other way
    from installation.dataset.pipeline import Outcome, Picture

SAMPLE = 60  # contact sheet size
CLUSTERS = 40  # duplicate clusters shown
CLUSTER_MEMBERS = 8
THUMB = 96
_NUMBER = " class='n'"  # right-aligned table cell

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{background:#4a78b5;height:10px;display:inline-block}
.sheet img{width:96px;height:96px;margin:2px;image-rendering:auto}
.cluster{margin:6px 0;padding:6px;border:1px solid #eee}
.cluster figure{display:inline-block;margin:2px 6px 2px 0;width:96px;font-size:10px;vertical-align:top}
.cluster figure.kept img{outline:3px solid #3a3}
.cluster figcaption{overflow-wrap:anywhere}
.charts svg{margin:0 18px 12px 0}
"""


def write(outcome: Outcome, work: WorkDir, path: Path) -> None:
    counts = outcome.counts()
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>prep report: {escape(outcome.out.name)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Data set {escape(str(outcome.out))}</h1>",
        f"<p>{time.strftime('%Y-%m-%d %H:%M:%S')}: {counts['written']} pictures of "
        f"{outcome.options.size}x{outcome.options.size} RGB.</p>",
        _counts(counts, outcome),
        _settings(outcome),
        _classes(outcome),
        _shares(outcome),
        _colors(outcome),
        _resolutions(outcome),
        _contact_sheet(outcome, work),
        _clusters(outcome, work),
        _skipped(outcome),
        "</body></html>",
    ]
    path.write_text("\n".join(parts), encoding="utf-8")


def _table(rows: list[tuple[str, object]]) -> str:
    cells = "".join(
        f"<tr><th>{escape(k)}</th><td{_NUMBER if isinstance(v, int) else ''}>{escape(str(v))}</td></tr>"
        for k, v in rows
    )
    return f"<table>{cells}</table>"


def _counts(counts: dict[str, int], outcome: Outcome) -> str:
    seconds = ", ".join(f"{k} {v:.1f} s" for k, v in outcome.seconds.items())
    return (
        "<h2>Counts</h2>"
        + _table(
            [
                ("files looked at", counts["files"]),
                ("images", counts["images"]),
                ("videos", counts["videos"]),
                ("frames taken from videos", counts["frames"]),
                ("files skipped", counts["skipped"]),
                ("pictures processed", counts["processed"]),
                ("exact duplicates removed", counts["exact_duplicates"]),
                ("near-duplicates removed", counts["near_duplicates"]),
                ("pictures written", counts["written"]),
                ("files reused from an interrupted run", counts["reused"]),
            ]
        )
        + f"<p>Time: {escape(seconds)}.</p>"
    )


def _settings(outcome: Outcome) -> str:
    o = outcome.options
    fill = "mirrored edges" if o.pad_fill is None else color_name(o.pad_fill)
    dedupe = f"pHash distance <= {o.dedupe}" if o.dedupe else "off (exact duplicates only)"
    mirror = (
        "recorded: train with --mirror=1 (the trainer flips at training time; "
        "the data set holds each picture once)"
        if o.xflip
        else "no (train with --mirror=0 or 1 as you like)"
    )
    return "<h2>Settings</h2>" + _table(
        [
            ("size", f"{o.size} px"),
            ("crop", o.crop + (f", padding: {fill}" if o.crop == "pad" else "")),
            ("background behind transparency", color_name(o.background)),
            ("minimum shorter side", f"{o.smallest_side} px"),
            ("video frames every", f"{o.video_every:g} s"),
            ("near-duplicate removal", dedupe),
            ("x-flip", mirror),
            ("labels", "first-level sub-folder names" if o.labels_from_folders else "none"),
        ]
    )


def _classes(outcome: Outcome) -> str:
    if not outcome.options.labels_from_folders:
        return ""
    per_class = Counter(p.source.label for p in outcome.kept)
    rows = "".join(
        f"<tr><td class='n'>{i}</td><td>{escape(name)}</td><td class='n'>{per_class[name]}</td></tr>"
        for i, name in enumerate(outcome.classes)
    )
    return f"<h2>Classes</h2><table><tr><th>label</th><th>folder</th><th>pictures</th></tr>{rows}</table>"


def _shares(outcome: Outcome) -> str:
    files = Counter(s.folder for s in outcome.sources)
    written = Counter(p.source.folder for p in outcome.kept)
    total = max(len(outcome.kept), 1)
    rows = []
    for folder, count in sorted(files.items(), key=lambda item: (-written[item[0]], item[0])):
        share = written[folder] / total
        rows.append(
            f"<tr><td>{escape(folder)}</td><td class='n'>{count}</td><td class='n'>{written[folder]}</td>"
            f"<td class='n'>{share:.1%}</td><td><span class='bar' style='width:{share * 200:.0f}px'>"
            "</span></td></tr>"
        )
    return (
        "<h2>Share of each source folder</h2><table><tr><th>folder</th><th>files</th>"
        f"<th>pictures written</th><th colspan=2>share</th></tr>{''.join(rows)}</table>"
    )


def _colors(outcome: Outcome) -> str:
    colors = [p.output.color for p in outcome.kept]
    hues = [c.hue for c in colors if c.hue is not None]
    hue_bins = 36
    hue_colors = [f"hsl({(i + 0.5) * 360 / hue_bins:.0f},75%,50%)" for i in range(hue_bins)]
    percent = ["0%", "25%", "50%", "75%", "100%"]
    return (
        "<h2>Colors of the pictures written</h2><div class='charts'>"
        + charts.histogram(
            [c.brightness for c in colors], bins=20, low=0, high=1, title="mean brightness", axis=percent
        )
        + charts.histogram(
            [c.saturation for c in colors], bins=20, low=0, high=1, title="mean saturation", axis=percent
        )
        + charts.histogram(
            hues,
            bins=hue_bins,
            low=0,
            high=360,
            title="dominant hue",
            axis=["0°", "90°", "180°", "270°", "360°"],
            colors=hue_colors,
        )
        + f"</div><p>{len(colors) - len(hues)} near-gray pictures have no dominant hue.</p>"
    )


def _resolutions(outcome: Outcome) -> str:
    sizes = [(r.width, r.height) for r in outcome.records if r.width and r.height]
    if not sizes:
        return ""
    megapixels = [math.log2(w * h / 1e6) for w, h in sizes]
    aspects = [math.log2(w / h) for w, h in sizes]
    common = Counter(sizes).most_common(10)
    rows = "".join(f"<tr><td>{w}x{h}</td><td class='n'>{n}</td></tr>" for (w, h), n in common)
    return (
        "<h2>Source resolutions</h2><div class='charts'>"
        + charts.histogram(
            megapixels,
            bins=20,
            low=-4,
            high=6,
            title="megapixels (log scale)",
            axis=["0.06", "0.25", "1", "4", "16", "64"],
        )
        + charts.histogram(
            aspects,
            bins=24,
            low=-2,
            high=2,
            title="aspect ratio (width:height)",
            axis=["1:4", "1:2", "1:1", "2:1", "4:1"],
        )
        + f"</div><table><tr><th>most common</th><th>sources</th></tr>{rows}</table>"
    )


def _contact_sheet(outcome: Outcome, work: WorkDir) -> str:
    # A fixed seed: the same data set gives the same sheet, which makes reports comparable.
    sample = random.Random(0).sample(outcome.kept, min(SAMPLE, len(outcome.kept)))
    images = "".join(f"<img src='{_thumbnail(work, p)}' title='{escape(p.name)}' alt=''>" for p in sample)
    return f"<h2>Random sample ({len(sample)} of {len(outcome.kept)})</h2><div class='sheet'>{images}</div>"


def _clusters(outcome: Outcome, work: WorkDir) -> str:
    groups: dict[int, list[tuple[Picture, str]]] = defaultdict(list)
    keepers: dict[int, Picture] = {}
    for gone, kept, why in outcome.duplicates:
        groups[kept.index].append((gone, why))
        keepers[kept.index] = kept
    if not groups:
        return "<h2>Duplicates</h2><p>None found.</p>"
    blocks = []
    for index in sorted(groups, key=lambda i: -len(groups[i]))[:CLUSTERS]:
        members = groups[index]
        figures = [_figure(work, keepers[index], "kept", "kept")]
        figures += [_figure(work, gone, why, "") for gone, why in members[:CLUSTER_MEMBERS]]
        more = len(members) - CLUSTER_MEMBERS
        tail = f"<p>and {more} more</p>" if more > 0 else ""
        blocks.append(f"<div class='cluster'>{''.join(figures)}{tail}</div>")
    hidden = len(groups) - CLUSTERS
    note = ""
    if hidden > 0:
        note = f"<p>{hidden} smaller clusters not shown; the .prep.json file lists them all.</p>"
    return (
        f"<h2>Duplicates ({len(outcome.duplicates)} removed, {len(groups)} clusters)</h2>"
        + "".join(blocks)
        + note
    )


def _figure(work: WorkDir, picture: Picture, caption: str, kind: str) -> str:
    return (
        f"<figure class='{kind}'><img src='{_thumbnail(work, picture)}' width='{THUMB}' "
        f"height='{THUMB}' alt=''><figcaption>{escape(picture.name)}<br>{escape(caption)}"
        "</figcaption></figure>"
    )


def _skipped(outcome: Outcome) -> str:
    if not outcome.skipped:
        return "<h2>Skipped files</h2><p>None.</p>"
    reasons = Counter(_reason_kind(s.reason) for s in outcome.skipped)
    summary = "".join(f"<li>{escape(r)}: {n}</li>" for r, n in reasons.most_common())
    rows = "".join(f"<tr><td>{escape(s.path)}</td><td>{escape(s.reason)}</td></tr>" for s in outcome.skipped)
    return (
        f"<h2>Skipped files ({len(outcome.skipped)})</h2><ul>{summary}</ul>"
        f"<table><tr><th>file</th><th>reason</th></tr>{rows}</table>"
    )


def _reason_kind(reason: str) -> str:
    """Reasons without their per-file detail, for the summary list."""
    return reason.split(" (")[0]


def _thumbnail(work: WorkDir, picture: Picture) -> str:
    image = cv2.imread(str(work.png(picture.output.png)), cv2.IMREAD_COLOR)
    if image is None:
        return ""
    small = cv2.resize(image, (THUMB, THUMB), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 82])
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode() if ok else ""
