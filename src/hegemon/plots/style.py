"""Colours and look shared by every hegemon figure.

Colours are fixed per actor, per outcome regime and per scenario slot, so that Russia is the
same blue in every figure of every run. Nothing here imports matplotlib at module level:
``actor_colour`` and friends are cheap to import from anywhere.

The figure functions in :mod:`hegemon.plots.figures` style their artists explicitly (they do
not read or change global ``rcParams``), so they look the same whatever the caller's
matplotlib settings. :func:`apply_style` / :func:`style_context` give the same look to plots
you draw yourself.
"""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "ACTOR_COLOURS",
    "BAND_ALPHA_50",
    "BAND_ALPHA_90",
    "REGIME_COLOURS",
    "REGIME_ORDER",
    "SCENARIO_COLOURS",
    "SCENARIO_STYLE",
    "STYLE",
    "actor_colour",
    "apply_style",
    "order_actors",
    "order_regimes",
    "regime_colour",
    "regime_label",
    "scenario_colour",
    "scenario_linestyle",
    "style_axes",
    "style_context",
]

# --- neutral inks ----------------------------------------------------------------------------

TEXT = "#222222"
MUTED = "#6B6B6B"
SPINE = "#8C8C8C"
GRID = "#E4E4E4"
CONTEXT = "#CFCFCF"  # other series shown for context only
NEUTRAL = "#4D4D4D"  # single series that belongs to no actor (e.g. ceasefire survival)

# Font sizes (points) used by the figures.
TITLE_SIZE = 13.0
PANEL_TITLE_SIZE = 10.5
LABEL_SIZE = 9.5
TICK_SIZE = 8.5
LEGEND_SIZE = 9.0
NOTE_SIZE = 8.0

# Fan bands: 90% band under the 50% band; the inner region reads as both stacked.
BAND_ALPHA_90 = 0.14
BAND_ALPHA_50 = 0.30
LINE_WIDTH = 1.9

# --- actors ----------------------------------------------------------------------------------
# Built from the Okabe-Ito and Paul Tol palettes (colour-blind aware). Powers that can share an
# axes (Russia, Turkey, China, Iran, EU, USA) differ in hue *and* lightness; Russia (blue) and
# Turkey (vermillion) are the most distinct pair. Local states get their own set.
ACTOR_COLOURS: dict[str, str] = {
    # powers
    "Russia": "#0072B2",  # blue
    "Turkey": "#D55E00",  # vermillion
    "China": "#882255",  # wine
    "Iran": "#117733",  # green
    "EU": "#DDAA33",  # gold
    "USA": "#332288",  # indigo
    # South Caucasus
    "Azerbaijan": "#33BBEE",  # cyan
    "Armenia": "#CC79A7",  # reddish purple
    "Georgia": "#999933",  # olive
    # Central Asia
    "Kazakhstan": "#44AA99",  # teal
    "Uzbekistan": "#E69F00",  # orange
    "Kyrgyzstan": "#EE3377",  # magenta
    "Tajikistan": "#996633",  # brown
}

_ALIASES: dict[str, str] = {
    "russian federation": "Russia",
    "türkiye": "Turkey",
    "turkiye": "Turkey",
    "european union": "EU",
    "us": "USA",
    "united states": "USA",
    "united states of america": "USA",
    "prc": "China",
}
_BY_KEY: dict[str, str] = {name.casefold(): name for name in ACTOR_COLOURS} | _ALIASES


def _canonical(name: str) -> str | None:
    return _BY_KEY.get(str(name).strip().casefold())


def _hash_unit(text: str, salt: str = "") -> float:
    """A number in [0, 1) from a stable digest of ``text`` (same in every process)."""
    digest = hashlib.blake2b(f"{salt}:{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def _hls_hex(h: float, lightness: float, saturation: float) -> str:
    r, g, b = colorsys.hls_to_rgb(h % 1.0, lightness, saturation)
    return f"#{round(r * 255):02X}{round(g * 255):02X}{round(b * 255):02X}"


def actor_colour(name: str) -> str:
    """Hex colour of an actor: fixed for known actors, a stable hashed colour otherwise.

    Matching is case-insensitive and knows a few aliases ("Türkiye", "European Union"). An
    unknown name always gets the same mid-tone colour, in any process (no ``hash()``).
    """
    known = _canonical(name)
    if known is not None:
        return ACTOR_COLOURS[known]
    u = _hash_unit(str(name).strip().casefold(), "actor")
    v = _hash_unit(str(name).strip().casefold(), "actor-tone")
    return _hls_hex(u, 0.40 + 0.12 * v, 0.50 + 0.15 * v)


def order_actors(names: Iterable[Any]) -> list[str]:
    """Known actors in the order of :data:`ACTOR_COLOURS` (Russia first), then the rest A-Z."""
    unique = {str(n) for n in names if n is not None and n == n}  # drops None and NaN
    rank = {name: i for i, name in enumerate(ACTOR_COLOURS)}

    def key(n: str) -> tuple[int, str]:
        canon = _canonical(n)
        return (rank[canon], n) if canon is not None else (len(rank), n.casefold())

    return sorted(unique, key=key)


# --- regimes ---------------------------------------------------------------------------------
# managed_decline is the thesis of the model: the one saturated, dark colour. The others are
# lighter so that it stands out in every regime chart.
REGIME_ORDER: tuple[str, ...] = (
    "managed_decline",
    "consolidation",
    "erosion",
    "retreat",
    "collapse",
    "mixed",
)
REGIME_COLOURS: dict[str, str] = {
    "managed_decline": "#5E3C99",  # deep purple
    "consolidation": "#74ADD1",  # light blue
    "erosion": "#B2ABD2",  # lavender: decline without the full signature
    "retreat": "#F1A340",  # amber
    "collapse": "#D6604D",  # brick red
    "mixed": "#BDBDBD",  # grey
}


def regime_colour(regime: str) -> str:
    """Hex colour of an outcome regime; unknown regimes get a stable, light hashed colour."""
    key = str(regime).strip()
    if key in REGIME_COLOURS:
        return REGIME_COLOURS[key]
    if key.casefold() in REGIME_COLOURS:
        return REGIME_COLOURS[key.casefold()]
    return _hls_hex(_hash_unit(key, "regime"), 0.66, 0.45)


def regime_label(regime: str) -> str:
    """Human label for a regime id: ``managed_decline`` -> ``Managed decline``."""
    text = str(regime).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def order_regimes(regimes: Iterable[Any]) -> list[str]:
    """Known regimes in :data:`REGIME_ORDER`, then any others alphabetically."""
    unique = {str(r) for r in regimes}
    known = [r for r in REGIME_ORDER if r in unique]
    return known + sorted(unique.difference(known))


# --- scenarios -------------------------------------------------------------------------------
# For several scenarios on shared axes. Okabe-Ito order, strong colours first; after eight
# scenarios colours repeat with a different line style.
SCENARIO_COLOURS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#999999",  # grey
)
_SCENARIO_LINESTYLES: tuple[str, ...] = ("-", "--", ":", "-.")
SCENARIO_STYLE: tuple[dict[str, str], ...] = tuple(
    {"color": c, "linestyle": "-"} for c in SCENARIO_COLOURS
)


def scenario_colour(index: int) -> str:
    """Colour of the ``index``-th scenario in a comparison (cycles after 8)."""
    return SCENARIO_COLOURS[int(index) % len(SCENARIO_COLOURS)]


def scenario_linestyle(index: int) -> str:
    """Line style of the ``index``-th scenario: solid, then dashed etc. once colours repeat."""
    return _SCENARIO_LINESTYLES[(int(index) // len(SCENARIO_COLOURS)) % len(_SCENARIO_LINESTYLES)]


# --- global look -----------------------------------------------------------------------------

STYLE: dict[str, Any] = {
    "figure.facecolor": "white",
    "figure.dpi": 100,
    "figure.titlesize": TITLE_SIZE,
    "figure.titleweight": "bold",
    "figure.constrained_layout.use": True,
    "savefig.dpi": 160,
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": SPINE,
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "axes.titlesize": PANEL_TITLE_SIZE,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlecolor": TEXT,
    "axes.labelsize": LABEL_SIZE,
    "axes.labelcolor": TEXT,
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.labelsize": TICK_SIZE,
    "ytick.labelsize": TICK_SIZE,
    "xtick.color": SPINE,
    "ytick.color": SPINE,
    "xtick.labelcolor": TEXT,
    "ytick.labelcolor": TEXT,
    "xtick.major.size": 3.0,
    "ytick.major.size": 0.0,
    "legend.frameon": False,
    "legend.fontsize": LEGEND_SIZE,
    "lines.linewidth": LINE_WIDTH,
    "lines.solid_capstyle": "round",
    "text.color": TEXT,
}


def _rc() -> dict[str, Any]:
    from cycler import cycler

    rc = dict(STYLE)  # plus the scenario colour cycle, which needs cycler
    rc["axes.prop_cycle"] = cycler(color=list(SCENARIO_COLOURS))
    return rc


def apply_style() -> None:
    """Give matplotlib's global defaults the hegemon look (for your own plots).

    Changes ``matplotlib.rcParams`` for the whole process; prefer :func:`style_context` in
    notebooks. The hegemon figure functions do not need it.
    """
    import matplotlib as mpl

    mpl.rcParams.update(_rc())


@contextmanager
def style_context() -> Iterator[None]:
    """Context manager: the hegemon look inside the ``with`` block only."""
    import matplotlib as mpl

    with mpl.rc_context(_rc()):
        yield


def style_axes(ax: Any, *, grid: str = "y") -> None:
    """Style one Axes explicitly (no rcParams): light grid, no top/right spines, quiet ticks."""
    ax.set_facecolor("white")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(SPINE)
        ax.spines[side].set_linewidth(0.8)
    ax.tick_params(
        axis="both",
        which="both",
        labelsize=TICK_SIZE,
        labelcolor=TEXT,
        color=SPINE,
        width=0.8,
        length=3.0,
    )
    ax.tick_params(axis="y" if grid == "y" else "x", length=0)
    ax.set_axisbelow(True)
    ax.grid(False)
    if grid in ("x", "y", "both"):
        ax.grid(True, axis=grid, color=GRID, linewidth=0.8)
    ax.xaxis.label.set_size(LABEL_SIZE)
    ax.yaxis.label.set_size(LABEL_SIZE)
    ax.xaxis.label.set_color(TEXT)
    ax.yaxis.label.set_color(TEXT)
