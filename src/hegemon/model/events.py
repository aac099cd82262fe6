"""Scenario events (ODD 7.11): dated interventions, each applied to every replicate at the
start of its week and carried out by the submodel that owns what it changes."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any

import numpy as np

from hegemon.scenario import schema as sc
from hegemon.scenario.keypaths import KeyPath, KeyPathError, bounds_of

if TYPE_CHECKING:
    from hegemon.model.model import HegemonModel


class ScenarioEvent:
    """A dated intervention from the scenario, applied to every replicate."""

    def __init__(self, model: HegemonModel, spec: Any):
        self.model = model
        self.spec = spec

    def apply(self) -> None:
        m, e = self.model, self.spec
        detail = e.description or e.kind
        if isinstance(e, sc.SetParameter):
            given = m.draws.value(f"events.{e.id}.{e.change}", getattr(e, e.change))
            if e.change == "value":
                value = given
                detail = f"{e.path} = {float(np.median(value)):g}"
            else:
                value = changed_parameter(m, e.path, e.change, given)
                sign = "x" if e.change == "factor" else "+"
                detail = f"{e.path} {sign} {float(np.median(given)):g}"
            set_parameter(m, e.path, value)
        elif isinstance(e, sc.Deploy):
            m.relation(e.relation).deploy(m.draws.value(f"events.{e.id}.troops", e.troops))
        elif isinstance(e, sc.Withdraw):
            removed = None if e.troops is None else m.draws.value(f"events.{e.id}.troops", e.troops)
            m.relation(e.relation).withdraw(removed)
        elif isinstance(e, sc.Toggle):
            m.relation(e.relation).switch(e.kind in ("start_support", "form_alliance"))
        elif isinstance(e, sc.BudgetShock):
            m.actor(e.actor).shock_budget(e.id, m.draws.value(f"events.{e.id}.factor", e.factor))
            if e.weeks is not None:  # over at the start of the week after ``weeks`` more
                m.schedule_week(m.week + e.weeks + 1, self.recover)
        elif isinstance(e, sc.TransferTerritory):
            assert m.dispute is not None
            m.dispute.transfer(m.actor(e.to), m.draws.value(f"events.{e.id}.share", e.share))
        actor = getattr(e, "actor", None) or getattr(e, "to", None)
        m.log_event(
            e.kind,
            np.ones(m.R, dtype=bool),
            actor=actor,
            target=getattr(e, "relation", None),
            detail=f"{e.id}: {detail}",
        )

    def recover(self) -> None:
        """End of a temporary budget shock."""
        power = self.model.actor(self.spec.actor)
        power.end_shock(self.spec.id)
        self.model.log_event(
            "budget_recovered",
            np.ones(self.model.R, dtype=bool),
            actor=power.name,
            detail=self.spec.id,
        )


def parameters_at(model: HegemonModel, path: KeyPath) -> Any:
    """The typed parameters that hold the field ``path`` names (an actor's, a relation's, the
    dispute's, or the ``trust`` or ``influence`` section's)."""
    if path.section == "actors":
        return model.actor(path.item).params
    if path.section == "relations":
        return model.relation(path.item).params
    if path.section == "conflict":
        assert model.dispute is not None
        return model.dispute.params
    return getattr(model.params, path.section)


def current_parameter(model: HegemonModel, path: str) -> np.ndarray:
    """Each replicate's value in force of the parameter at ``path`` (for a mandate's
    ``troops``, the troops deployed)."""
    kp = KeyPath.parse(path)
    if kp.section == "relations" and kp.field == "troops":
        return model.relation(kp.item).troops
    owner = parameters_at(model, kp)
    if kp.key is not None or kp.field not in {f.name for f in fields(owner)}:
        raise KeyPathError(f"{path!r} names no parameter the model reads")
    return getattr(owner, kp.field)


def changed_parameter(model: HegemonModel, path: str, change: str, by: np.ndarray) -> np.ndarray:
    """The parameter at ``path`` times ``by`` (``change`` "factor") or plus ``by`` ("shift"),
    replicate by replicate, clipped to the bounds the schema sets on it."""
    current = current_parameter(model, path)
    value = current * by if change == "factor" else current + by
    lo, hi = bounds_of(model.spec, path)
    return np.clip(value, -np.inf if lo is None else lo, np.inf if hi is None else hi)


def set_parameter(model: HegemonModel, path: str, value: np.ndarray) -> None:
    """Set a live parameter at a scenario key path (``actors.Russia.resolve``); setting a
    mandate's ``troops`` replaces the troops deployed."""
    kp = KeyPath.parse(path)
    owner = parameters_at(model, kp)
    if kp.key is not None or kp.field not in {f.name for f in fields(owner)}:
        raise KeyPathError(f"{path!r} names no parameter the model reads")
    setattr(owner, kp.field, value)
    if kp.section == "relations" and kp.field == "troops":
        model.relation(kp.item).set_troops(value)
