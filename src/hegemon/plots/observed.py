"""What a figure says about an outcome column or a sensitivity output: its label, unit, kind
and colour, looked up in the declarations of :mod:`hegemon.scenario.observables` (a column's
name is never parsed). A name the declarations do not know is spelled out, with no unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hegemon.analysis.regimes import REGIMES
from hegemon.analysis.sensitivity import outputs
from hegemon.plots import style as st
from hegemon.scenario.observables import Kind, outcome_columns
from hegemon.scenario.schema import Scenario

SHARE_OF_RUNS = "share of runs"
#: Outcomes that are start-to-end changes: signed, read against a line at zero.
CHANGES = frozenset({"influence_change", "trust_change", "territory_change"})


@dataclass(frozen=True)
class Quantity:
    """An outcome or output as a figure shows it."""

    label: str  # capitalised, without the unit
    unit: str = ""
    kind: Kind = "level"
    colour: str = st.NEUTRAL  # the actor it is about, the regime it counts, else neutral
    change: bool = False  # a signed change
    missing: str = ""  # what an empty value means

    @property
    def share(self) -> bool:
        """A share of runs (0-1), shown in percent."""
        return self.kind == "binary"

    @property
    def money(self) -> bool:
        return self.unit.startswith("US$")

    def title(self, label: str = "") -> str:
        """``label`` (default: the declared one), capitalised, with the unit unless it
        names one already. Plain text: ``$`` is not escaped."""
        text = capital(str(label).strip() or self.label)
        if self.unit and "(" not in text and not (self.share and "share" in text.casefold()):
            text = f"{text} ({self.unit})"
        return text


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def unknown(name: str) -> Quantity:
    """A name no declaration knows: spelled out (``some_new_thing`` -> ``Some new thing``)."""
    return Quantity(capital(str(name).replace("__", " · ").replace("_", " ")))


def outcome_quantities(scenario: Scenario | None) -> dict[str, Quantity]:
    """Every outcome column of the scenario's runs, as the figures show it ({} for None)."""
    if scenario is None:
        return {}
    return {
        name: Quantity(
            capital(col.label),
            col.unit,
            col.outcome.kind,
            st.actor_colour(col.actor) if col.actor else st.NEUTRAL,
            col.outcome.name in CHANGES,
            col.outcome.missing,
        )
        for name, col in outcome_columns(scenario).items()
    }


def output_quantities(scenario: Scenario | None) -> dict[str, Quantity]:
    """The sensitivity outputs of the scenario (:func:`hegemon.analysis.sensitivity.outputs`),
    in their declared order: each is the outcome column it averages, or a regime's share."""
    columns = outcome_quantities(scenario)
    out: dict[str, Quantity] = {}
    for o in outputs(scenario) if scenario is not None else []:
        base = columns.get(o.column) or Quantity(capital(o.label))
        if o.column in REGIMES:
            base = Quantity(capital(o.label), colour=st.regime_colour(o.column))
        if o.binary:
            base = Quantity(base.label, SHARE_OF_RUNS, "binary", base.colour)
        out[o.name] = base
    return out


def lookup(known: Mapping[str, Quantity], name: str) -> Quantity:
    return known.get(str(name)) or unknown(name)
