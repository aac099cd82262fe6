"""A self-contained HTML report: one file to email to a colleague.

Everything is inside the file: the stylesheet is inline, figures are embedded as base64
``data:`` URIs, and there is no JavaScript, web font or link to any other file or server.
Tables come from DataFrames (``DataFrame.to_html``, which needs no jinja2). Every piece of
user text (titles, scenario questions from YAML files, table cells) is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import importlib.metadata
import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["figure_caption", "format_table", "write_report"]

_MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}

#: Captions of the standard and comparison figures, by file stem.
CAPTIONS: dict[str, str] = {
    "influence": "Regional influence of each power over time",
    "influence_over": "Influence of each power over each local state",
    "trust": "Trust of the local states in the powers",
    "peacekeepers": "Peacekeepers deployed",
    "cost": "Cost of regional presence (cumulative, US$ million)",
    "survival": "Ceasefire survival: share of runs in which the ceasefire still holds",
    "decline_curve": "Money spent against influence",
    "territory": "Control of the disputed area",
    "regimes": "Outcome regimes: share of runs ending in each regime",
    "end_states": "Outcomes at the horizon: distribution across runs",
    "multiples_influence": "The focal power's influence, a panel per scenario (grey: reference)",
    "multiples_trust": "The ally's trust in the focal power, a panel per scenario (grey: ref.)",
    "differences_influence": "Paired differences of the focal power's influence over time",
    "differences_trust": "Paired differences of the ally's trust over time",
    "event_history": "Event history: the events of one replicate and the ensemble's event rates",
    "paired_differences": (
        "Difference from the reference scenario, paired by replicate (95% intervals)"
    ),
}

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body {
  margin: 0; padding: 2.2rem 1.2rem 3rem; background: #ffffff; color: #222222;
  font: 15px/1.55 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue",
        Arial, "Noto Sans", "Liberation Sans", sans-serif;
}
main { max-width: 1080px; margin: 0 auto; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 .35rem; }
h2 {
  font-size: 1.2rem; margin: 2.4rem 0 .8rem; padding-bottom: .3rem;
  border-bottom: 2px solid #e4e4e4;
}
h3 { font-size: 1rem; margin: 1.6rem 0 .5rem; }
p { margin: .5rem 0 .8rem; max-width: 52rem; }
.meta { color: #6b6b6b; font-size: .86rem; margin: 0 0 1.4rem; }
.intro p { font-size: 1.02rem; }
nav { font-size: .9rem; margin: 1rem 0 0; color: #6b6b6b; }
nav a { color: #0072b2; text-decoration: none; margin-right: 1.1rem; }
nav a:hover { text-decoration: underline; }
.scroll { overflow-x: auto; margin: .4rem 0 1.2rem; }
table { border-collapse: collapse; font-size: .86rem; font-variant-numeric: tabular-nums; }
th, td { padding: .36rem .7rem; text-align: right; vertical-align: top; }
thead th {
  border-bottom: 2px solid #8c8c8c; font-weight: 600; color: #222222; white-space: nowrap;
}
tbody td, tbody th { border-bottom: 1px solid #e4e4e4; }
tbody tr:nth-child(even) { background: #f7f7f7; }
td.text, th.text { text-align: left; }
table.scenarios { font-size: .92rem; width: 100%; }
table.scenarios td { text-align: left; }
table.scenarios td.name { white-space: nowrap; font-weight: 600; }
.swatch {
  display: inline-block; width: .8em; height: .8em; border-radius: 2px;
  margin-right: .45em; vertical-align: -.05em;
}
.badge {
  display: inline-block; font-size: .72rem; font-weight: 600; color: #ffffff;
  background: #6b6b6b; border-radius: 3px; padding: 0 .35em; margin-left: .4em;
  vertical-align: .1em;
}
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
figure { margin: 1.4rem 0 2.2rem; }
figure img {
  display: block; max-width: 100%; height: auto; margin: 0 auto;
  border: 1px solid #eeeeee;
}
figcaption { color: #444444; font-size: .9rem; margin-top: .5rem; }
figcaption .num { font-weight: 600; color: #222222; }
.notes { color: #444444; }
footer {
  margin-top: 3rem; padding-top: .8rem; border-top: 1px solid #e4e4e4;
  color: #6b6b6b; font-size: .8rem;
}
@media print {
  body { padding: 0; font-size: 10.5pt; }
  main { max-width: none; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  figure, tr { break-inside: avoid; page-break-inside: avoid; }
  figure img { border: none; max-height: 24cm; width: auto; }
  .scroll { overflow: visible; }
  table { font-size: 8pt; }
  thead th { white-space: normal; }
  td.text { overflow-wrap: anywhere; }
  tbody tr:nth-child(even) { background: none; }
}
"""


# --- text ------------------------------------------------------------------------------------


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _paragraphs(text: str, css_class: str = "") -> str:
    """Escaped paragraphs: blank lines separate them, single newlines become ``<br>``."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", str(text or "")) if b.strip()]
    attr = f' class="{css_class}"' if css_class else ""
    body = "\n".join("<p>" + _esc(b).replace("\n", "<br>\n") + "</p>" for b in blocks)
    return f"<div{attr}>\n{body}\n</div>" if body else ""


def _anchor(text: str, used: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(text).casefold()).strip("-") or "section"
    slug = slug[:48].rstrip("-")
    out, k = slug, 2
    while out in used:
        out, k = f"{slug}-{k}", k + 1
    used.add(out)
    return out


def figure_caption(path: str | Path) -> str:
    """Caption of a figure file: a known figure's description, else its spelled-out stem
    (``money_vs_time.png`` -> ``Money vs time``)."""
    stem = Path(path).stem
    if stem in CAPTIONS:
        return CAPTIONS[stem]
    text = re.sub(r"[_\-.]+", " ", stem).strip()
    return text[:1].upper() + text[1:] if text else Path(path).name


# --- tables ----------------------------------------------------------------------------------


def _number(value: Any, digits: int = 3) -> str:
    """A number with about ``digits`` significant digits and thousands separators."""
    if value is None or isinstance(value, str):
        return _text(value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return _text(value)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if isinstance(value, int | np.integer):
        text = f"{int(value):,}"
    elif v == 0:
        text = "0"
    elif abs(v) >= 10 ** (digits - 1):
        text = f"{v:,.0f}"
    elif abs(v) < 1e-4:
        text = f"{v:.2e}"
    else:
        decimals = digits - 1 - math.floor(math.log10(abs(v)))
        text = f"{v:,.{decimals}f}"
    return text.replace("-", "−")


def _percent(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return _text(value)
    if math.isnan(v):
        return "–"
    return f"{v:.1%}" if 0 < abs(v) < 0.1 else f"{v:.0%}"


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return str(value)


def _is_distribution(frame: pd.DataFrame, columns: Sequence[Any]) -> bool:
    """Whether the float columns hold shares summing to 1 on every row (e.g. regime shares)."""
    if len(columns) < 2 or frame.empty:
        return False
    values = frame[list(columns)].to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values < 0).any() or (values > 1).any():
        return False
    return bool(np.allclose(values.sum(axis=1), 1.0, atol=1e-6))


def format_table(frame: pd.DataFrame) -> dict[Any, Any]:
    """Formatters for ``DataFrame.to_html``: about three significant digits per number,
    percentages for share columns (``share*``) and for rows of shares that sum to one."""
    numeric = [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c].dtype)
        and not pd.api.types.is_bool_dtype(frame[c].dtype)
    ]
    floats = [c for c in numeric if pd.api.types.is_float_dtype(frame[c].dtype)]
    shares = set(floats) if _is_distribution(frame, floats) else set()
    shares |= {c for c in floats if str(c).casefold().startswith("share")}
    out: dict[Any, Any] = {}
    for column in frame.columns:
        if column in shares:
            out[column] = _percent
        elif column in numeric or pd.api.types.is_bool_dtype(frame[column].dtype):
            out[column] = _number
        else:
            out[column] = _text
    return out


def _header(column: Any) -> str:
    return str(column).replace("_", " ")


def _table_html(frame: pd.DataFrame, css_class: str = "data") -> str:
    frame = frame.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = [" · ".join(map(str, c)) for c in frame.columns]
    index = not isinstance(frame.index, pd.RangeIndex)
    if index:
        frame = frame.reset_index()
    frame.columns = pd.Index([str(c) for c in frame.columns])
    if frame.columns.duplicated().any():
        frame.columns = pd.Index([f"{c} ({i})" for i, c in enumerate(frame.columns)])
    text_columns = [
        c
        for c in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[c].dtype)
        or pd.api.types.is_bool_dtype(frame[c].dtype)
    ]
    formatters = format_table(frame)
    # cells are formatted to strings first, so that to_html escapes them all the same way
    cells = pd.DataFrame(
        {c: [formatters[c](v) for v in frame[c].tolist()] for c in frame.columns},
        index=range(len(frame)),
    )
    cells.columns = pd.Index([_header(c) for c in frame.columns])
    body = cells.to_html(index=False, escape=True, border=0, classes=css_class, na_rep="–")
    body = body.replace(' class="dataframe ', ' class="')
    # left-align the text columns
    positions = {i for i, c in enumerate(frame.columns) if c in text_columns}
    return _align(body, positions)


def _align(table: str, positions: set[int]) -> str:
    """Add ``class="text"`` to the header and body cells of the given column positions."""
    if not positions:
        return table

    def row(match: re.Match[str]) -> str:
        cells = re.split(r"(?=<t[hd][ >])", match.group(0))
        k = -1
        out = []
        for piece in cells:
            if re.match(r"<t[hd][ >]", piece):
                k += 1
                if k in positions:
                    piece = re.sub(r"^<(t[hd])", r'<\1 class="text"', piece, count=1)
            out.append(piece)
        return "".join(out)

    return re.sub(r"<tr[^>]*>.*?</tr>", row, table, flags=re.S)


def _scenarios_html(scenarios: pd.DataFrame) -> str:
    from hegemon.plots.style import scenario_colour

    frame = scenarios.reset_index(drop=True)
    rows = []
    for i, rec in frame.iterrows():
        name = rec.get("name", f"scenario {i + 1}")
        badge = '<span class="badge">reference</span>' if i == 0 and len(frame) > 1 else ""
        swatch = f'<span class="swatch" style="background:{scenario_colour(int(i))}"></span>'
        rows.append(
            "<tr>"
            f'<td class="name">{swatch}<code>{_esc(name)}</code>{badge}</td>'
            f"<td>{_esc(_text(rec.get('title', '')))}</td>"
            f"<td>{_esc(_text(rec.get('question', '')))}</td>"
            "</tr>"
        )
    head = "<thead><tr><th>Scenario</th><th>Title</th><th>Question</th></tr></thead>"
    return (
        '<div class="scroll"><table class="scenarios">'
        + head.replace("<th>", '<th class="text">')
        + "<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table></div>"
    )


# --- figures ---------------------------------------------------------------------------------


def _figure_html(path: Path, number: int) -> str:
    mime = _MIME.get(path.suffix.lower())
    if mime is None:
        raise ValueError(f"{path}: not an image the report can embed (use PNG)")
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    caption = figure_caption(path)
    return (
        "<figure>\n"
        f'<img src="data:{mime};base64,{data}" alt="{_esc(caption)}">\n'
        f'<figcaption><span class="num">Figure {number}.</span> {_esc(caption)}</figcaption>\n'
        "</figure>"
    )


def _version() -> str:
    """hegemon's version, from its installed metadata (plots do not import the package root)."""
    try:
        return importlib.metadata.version("hegemon")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# --- the report ------------------------------------------------------------------------------


def write_report(
    path: str | Path,
    *,
    title: str,
    intro: str,
    scenarios: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    figures: Sequence[str | Path],
    notes: str = "",
) -> Path:
    """Write one self-contained HTML report to ``path`` and return it.

    ``scenarios`` has columns ``name, title, question`` (the first row is the reference);
    ``tables`` maps a heading to a DataFrame; ``figures`` are image files (PNG) embedded in
    the page as base64, captioned from their file names. ``intro`` and ``notes`` are plain
    text (blank lines separate paragraphs). All text is escaped; the page needs no network,
    no other file and no JavaScript. Raises ``FileNotFoundError`` for a missing figure.
    """
    target = Path(path)
    figure_paths = [Path(f) for f in figures]
    for f in figure_paths:
        if not f.is_file():
            raise FileNotFoundError(f"{f}: figure not found")

    used: set[str] = set()
    sections: list[tuple[str, str, str]] = []  # (anchor, heading, body)
    if scenarios is not None and not scenarios.empty:
        sections.append((_anchor("scenarios", used), "Scenarios", _scenarios_html(scenarios)))
    if tables:
        parts = []
        for heading, frame in tables.items():
            parts.append(
                f'<h3 id="{_anchor(heading, used)}">{_esc(heading)}</h3>\n'
                f'<div class="scroll">{_table_html(frame)}</div>'
            )
        sections.append((_anchor("tables", used), "Tables", "\n".join(parts)))
    if figure_paths:
        body = "\n".join(_figure_html(f, k) for k, f in enumerate(figure_paths, start=1))
        sections.append((_anchor("figures", used), "Figures", body))
    if str(notes or "").strip():
        sections.append((_anchor("notes", used), "Notes", _paragraphs(notes, "notes")))

    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()
    version = _version()
    meta = f"Generated {_esc(stamp)} with hegemon {_esc(version)}"
    nav = ""
    if len(sections) > 1:
        links = "".join(f'<a href="#{a}">{_esc(h)}</a>' for a, h, _ in sections)
        nav = f"<nav>{links}</nav>"
    body = "\n".join(
        f'<section>\n<h2 id="{a}">{_esc(h)}</h2>\n{b}\n</section>' for a, h, b in sections
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="hegemon {_esc(version)}">
<title>{_esc(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<header>
<h1>{_esc(title)}</h1>
<p class="meta">{meta}</p>
{_paragraphs(intro, "intro")}
{nav}
</header>
{body}
<footer>{meta}. Self-contained report: figures and styles are embedded in this file.</footer>
</main>
</body>
</html>
"""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8", newline="\n")
    return target
