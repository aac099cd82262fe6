"""A live ensemble: one vectorized model stepped week by week, with the tables of a results
folder as far as it has run, so that the dashboard draws with the same figures as the files.

:meth:`LiveEnsemble.summary` is the summary table (the results schema: ``scenario, step, date,
metric, actor, target, mean, q05 .. q95``) of the weeks simulated so far, and
:meth:`LiveEnsemble.outcomes` the scalar outcomes of every replicate as if the run ended now
(the start-to-now changes stand in for the start-to-horizon ones; at the horizon they are
exactly the outcomes of ``hegemon run``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hegemon.ensemble.tables import QUANTILES, summary_table
from hegemon.model.metrics import SeriesKey
from hegemon.model.model import HegemonModel
from hegemon.model.outcomes import scalar_outcomes
from hegemon.scenario.schema import Scenario


@dataclass(frozen=True)
class _Recorded:
    series: dict[SeriesKey, np.ndarray]


@dataclass(frozen=True)
class _CutShort:
    """What :func:`scalar_outcomes` reads of a model, with the series cut at a week."""

    recorder: _Recorded
    powers: list[Any]
    local_states: list[Any]
    dispute: Any
    draws: Any
    spec: Any


class LiveEnsemble:
    """``replicates`` replicates of ``scenario`` (indices ``0..R-1``, seed ``seed``), stepped
    one week at a time; ``name`` fills the tables' scenario column (default: the scenario's).

    >>> from hegemon.scenario import load_scenario
    >>> live = LiveEnsemble(load_scenario("baseline"), replicates=4)
    >>> live.step(); int(live.summary()["step"].max())
    1
    """

    def __init__(self, scenario: Scenario, replicates: int, seed: int = 0, name: str | None = None):
        self.model = HegemonModel(scenario, replicates=replicates, seed=seed)
        self.name = name or scenario.name

    @property
    def scenario(self) -> Scenario:
        return self.model.spec

    @property
    def horizon(self) -> int:
        return self.model.horizon

    @property
    def week(self) -> int:
        """The last week recorded (a model caught mid-step by a render in another thread has
        counted the new week but not yet recorded it)."""
        model = self.model
        return model.week if getattr(model, "_between_steps", True) else model.week - 1

    def step(self) -> None:
        """One week, unless the horizon is reached."""
        if self.model.week < self.horizon:
            self.model.step()

    def _series(self, week: int | None) -> dict[SeriesKey, np.ndarray]:
        w = self.week if week is None else min(int(week), self.week)
        return {k: v[: w + 1] for k, v in self.model.recorder.series.items()}

    def summary(self, week: int | None = None) -> pd.DataFrame:
        """The summary table of weeks 0..``week`` (default: now)."""
        series = self._series(week)
        qs = list(QUANTILES.values())
        means = {k: v.mean(axis=1) for k, v in series.items()}
        quantiles = {k: np.quantile(v, qs, axis=1) for k, v in series.items()}
        return summary_table(self.name, self.scenario.start, means, quantiles)

    def outcomes(self, week: int | None = None) -> pd.DataFrame:
        """One row per replicate (``scenario, replicate`` and the outcome columns), as if the
        run ended at ``week`` (default: now)."""
        m = self.model
        cut = _CutShort(
            _Recorded(self._series(week)), m.powers, m.local_states, m.dispute, m.draws, m.spec
        )
        frame = pd.DataFrame(scalar_outcomes(cut))  # type: ignore[arg-type]
        frame.insert(0, "replicate", np.asarray(m.replicate_ids))
        frame.insert(0, "scenario", self.name)
        return frame
