"""Calibration (hegemon calibrate) and the conditioned forecast (dist: sample).

The sampler is checked against a posterior known in closed form; the whole calibration against
synthetic observations simulated with known parameters (parameter recovery); the calibrated
scenario replays its particles' past bit for bit; bad input gets one line and exit 2.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import hegemon.api as api
from hegemon import load_scenario
from hegemon.analysis.calibration import Prior, smc
from hegemon.cli import cli
from hegemon.errors import ScenarioError
from hegemon.model.model import HegemonModel
from hegemon.model.streams import Streams
from hegemon.results import Comparison, Results
from hegemon.scenario.observations import read_observations

CUTOFF = dt.date(2022, 12, 31)
SMALL = ["conflict.clash_rate", "actors.Armenia.trust.Russia"]


# --------------------------------------------------------------------------- the sampler


@pytest.mark.parametrize("repeats", [1, 3])
def test_closed_form_posterior(repeats: int) -> None:
    """Normal prior, a simulator with normal noise, a normal observation: the posterior is
    normal with known mean and sd (conjugacy), and the sampler finds it."""
    mu0, tau0, sim_sd, obs_sd, y = 0.5, 2.0, 0.6, 0.8, 2.1

    def simulate(z: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        theta = mu0 + tau0 * z[:, 0]
        x = theta + sim_sd * Streams(11, ids).normal("noise", 1)
        return -0.5 * ((y - x) / obs_sd) ** 2, x[None, :]

    fit = smc(simulate, 1, particles=4000, repeats=repeats, seed=2)
    theta = mu0 + tau0 * fit.z[:, 0]
    noise = obs_sd**2 + sim_sd**2
    var = 1 / (1 / tau0**2 + 1 / noise)
    mean = var * (mu0 / tau0**2 + y / noise)
    assert abs(theta.mean() - mean) < 0.06
    assert abs(theta.std() - math.sqrt(var)) < 0.06
    assert fit.generations["temperature"].iloc[-1] == 1.0
    # the trajectory kept with each particle is a draw of x given y: x | y ~ N(., .)
    x = fit.extra[0]
    x_var = 1 / (1 / (tau0**2 + sim_sd**2) + 1 / obs_sd**2)
    x_mean = x_var * (mu0 / (tau0**2 + sim_sd**2) + y / obs_sd**2)
    assert abs(x.mean() - x_mean) < 0.06
    assert abs(x.std() - math.sqrt(x_var)) < 0.06


def test_hard_constraint_rejects_every_contradiction() -> None:
    """A binary observation is a hard constraint: no accepted particle contradicts it."""

    def simulate(z: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = z[:, 0] + Streams(3, ids).normal("noise", 1)
        return np.where(x > 0, -0.5 * (1 - x) ** 2, -np.inf), x[None, :]

    fit = smc(simulate, 1, particles=500, seed=1)
    assert (fit.extra[0] > 0).all()


def test_prior_transform_keeps_the_prior() -> None:
    from hegemon.scenario.distributions import Uniform

    prior = Prior("x", Uniform(dist="uniform", low=2.0, high=5.0))
    theta = prior.theta(np.random.default_rng(0).standard_normal(20000))
    assert theta.min() >= 2.0 and theta.max() <= 5.0
    assert abs(theta.mean() - 3.5) < 0.03


# --------------------------------------------------------------------------- a small calibration


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cal") / "cal"
    api.calibrate(
        "baseline",
        cutoff=CUTOFF,
        out=out,
        params=SMALL,
        particles=40,
        seed=5,
        predictive=0,
        figures=False,
    )
    return out


def test_calibrate_folder(calibrated: Path) -> None:
    from hegemon.results import open_folder

    found = open_folder(calibrated)
    assert found.manifest["kind"] == "calibrate"
    post = found.posterior
    assert len(post) == 40
    assert {"particle", "weight", "replicate", *SMALL, "loglik"} <= set(post.columns)
    assert math.isclose(post["weight"].sum(), 1.0)
    assert found.parameters["parameter"].tolist() == SMALL
    used = found.observations_used
    assert used["used"].sum() == found.manifest["observations_count"] == 8  # with failed calls
    assert (used.loc[used["used"], "date"] <= pd.Timestamp(CUTOFF)).all()
    text = (calibrated / "calibrated.yaml").read_text()
    assert "extends: baseline" in text and "dist: sample" in text


def test_calibrate_is_reproducible(calibrated: Path, tmp_path: Path) -> None:
    """The same seed gives the same posterior, bit for bit, however the blocks are split."""
    from hegemon.analysis import calibration as cal

    again = tmp_path / "again"
    api.calibrate(
        "baseline",
        cutoff=CUTOFF,
        out=again,
        params=SMALL,
        particles=40,
        seed=5,
        predictive=0,
        figures=False,
    )
    a = pd.read_parquet(calibrated / "posterior.parquet")
    b = pd.read_parquet(again / "posterior.parquet")
    pd.testing.assert_frame_equal(a, b)
    # split into blocks of 53 runs: the same numbers
    scenario = load_scenario("baseline")
    table = read_observations("observations-2020-2022", scenario).table
    recorded = set(HegemonModel(scenario, 1).recorder.series)
    problem = cal.calibration_problem(scenario, table, CUTOFF, params=SMALL, recorded=recorded)
    split = cal.calibrate(problem, 5, particles=40, repeats=4, chunk_size=53)
    pd.testing.assert_frame_equal(split.posterior, a)


def test_dist_sample_replays_the_particles_past(calibrated: Path) -> None:
    """Each replicate of the calibrated scenario draws a row of the posterior (all its
    parameters from that row) and replays the particle's trajectory up to the cut-off bit
    for bit; the run is bit-reproducible and the same alone or in a batch."""
    scenario = load_scenario(calibrated / "calibrated.yaml")
    post = pd.read_parquet(calibrated / "posterior.parquet")
    model = HegemonModel(scenario, replicates=range(30), seed=9)
    model.run()
    rows = model.posterior_rows
    assert len(set(rows)) > 5
    for path in SMALL:
        assert np.array_equal(model.draws.drawn[path], post[path].to_numpy()[rows])
    used = pd.read_csv(calibrated / "observations_used.csv", parse_dates=["date"])
    used = used[used["used"]]
    for line, row in zip(used["line"], used.itertuples(index=False), strict=True):
        step = (row.date.date() - scenario.start).days // 7
        actor = row.actor if isinstance(row.actor, str) else None
        target = row.target if isinstance(row.target, str) else None
        x = model.recorder.series[row.metric, actor, target][step]
        assert np.array_equal(x, post[f"simulated:line{line}"].to_numpy()[rows])
    # the record is never contradicted: the ceasefire holds up to the cut-off
    cut = (CUTOFF - scenario.start).days // 7
    assert (model.recorder.series["ceasefire", None, None][: cut + 1] == 1).all()
    # bit-reproducible, and replicate 7 alone is replicate 7 of the batch
    alone = HegemonModel(scenario, replicates=[7], seed=9)
    alone.run()
    for key, values in alone.recorder.series.items():
        assert np.array_equal(values[:, 0], model.recorder.series[key][:, 7])
    # after the cut-off the replicates of one particle part ways (their own random numbers)
    same = np.flatnonzero(rows == rows[np.argmax(np.bincount(rows))])
    if len(same) > 1:
        trust = model.recorder.series["clashes_cum", None, None]
        assert np.array_equal(trust[cut, same[0]], trust[cut, same[1]])


def test_run_of_a_calibrated_scenario_stands_alone(calibrated: Path, tmp_path: Path) -> None:
    """Its results folder holds copies of the posterior table and observations, hashed in
    the manifest; every replicate names its particle; compare says unpaired."""
    out = tmp_path / "forecast"
    results = api.run(calibrated / "calibrated.yaml", 20, seed=1, out=out)
    assert (out / "posterior.parquet").is_file() and (out / "observations.csv").is_file()
    info = results.manifest
    assert info["conditioned"] is True
    from hegemon.scenario.posterior import file_sha256

    assert info["posterior_sha256"] == file_sha256(out / "posterior.parquet")
    assert info["observations_sha256"] == file_sha256(out / "observations.csv")
    moved = tmp_path / "elsewhere" / "forecast"
    moved.parent.mkdir()
    out.rename(moved)
    again = Results(moved)
    assert again.scenario.posterior_table is not None
    assert "particle" in again.outcomes.columns
    assert set(again.outcomes["particle"]) <= set(range(40))
    base = api.run("baseline", 20, seed=1)
    comparison = Comparison([base, again])
    assert not comparison.common_random_numbers()
    assert "replays" in comparison.unpaired_reason()
    paired = comparison.paired
    assert not paired["paired"].any()
    same = Comparison([again, Results(moved)])
    assert same.common_random_numbers()


def test_sample_needs_a_posterior(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text("extends: baseline\nname: s\nconflict:\n  clash_rate: {dist: sample}\n")
    with pytest.raises(ScenarioError, match="posterior"):
        load_scenario(file)


def test_changed_posterior_table_is_refused(calibrated: Path, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(calibrated, folder)
    post = pd.read_parquet(folder / "posterior.parquet")
    post.loc[0, "conflict.clash_rate"] = 0.2
    post.to_parquet(folder / "posterior.parquet", index=False)
    with pytest.raises(ScenarioError, match="sha256"):
        load_scenario(folder / "calibrated.yaml")


# --------------------------------------------------------------------------- bad input


def test_cli_unknown_parameter_in_calibration_block(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(
        "extends: baseline\nname: bad\ncalibration:\n  parameters: [conflict.nonsense]\n"
    )
    result = CliRunner().invoke(
        cli, ["calibrate", str(file), "--cutoff", "2022-12-31", "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "bad.yaml:4" in lines[0] and "unknown parameter" in lines[0]


@pytest.mark.parametrize("cutoff", ["2030-01-01", "2020-11-01", "2024-06-01"])
def test_cli_cutoff_outside_the_observations(cutoff: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["calibrate", "baseline", "--cutoff", cutoff, "-o", str(tmp_path / "o"), "-q"]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "outside" in lines[0]
    assert not (tmp_path / "o").exists()


def test_cli_params_file_with_a_plain_number(tmp_path: Path) -> None:
    params = tmp_path / "p.yaml"
    params.write_text("parameters: [conflict.decisiveness]\n")
    result = CliRunner().invoke(
        cli,
        ["calibrate", "baseline", "--cutoff", "2022-12-31", "--params", str(params), "-o",
         str(tmp_path / "o")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "no prior" in result.output and len(result.output.strip().splitlines()) == 1


# --------------------------------------------------------------------------- recovery

RECOVER = {  # parameter: (low, high) of the prior
    "actors.Armenia.trust.Russia": (0.57, 0.85),
    "actors.Azerbaijan.trust.Russia": (0.3, 0.5),
    "conflict.clash_rate": (0.1, 0.3),
}
# Azerbaijan's trust in Russia moves slowly, so eight polls pin its start down; Armenia's
# moves with every failed call (aleatory) and the clash counts are few: both stay wide.
INFORMED = ("actors.Azerbaijan.trust.Russia",)


def synthetic(trial: int, folder: Path) -> tuple[dict[str, float], Path]:
    """Observations simulated from one replicate with known parameters, through the
    observation model: quarterly polls of two trusts (n = 1,500) and yearly clash counts."""
    from hegemon.analysis.observation import Observation, ObservationModel

    rng = np.random.default_rng(100 + trial)
    truth = {p: lo + (hi - lo) * rng.uniform(0.2, 0.8) for p, (lo, hi) in RECOVER.items()}
    scenario = load_scenario("baseline", ["until=2022-12-31"])
    model = HegemonModel(
        scenario,
        replicates=[10**9 + trial],
        seed=trial,
        parameters={p: np.array([v]) for p, v in truth.items()},
    )
    model.run()
    om = ObservationModel()
    rows = []
    dates = [dt.date(2021, m, 15) for m in (2, 5, 8, 11)] + [
        dt.date(2022, m, 15) for m in (2, 5, 8, 11)
    ]
    for date in dates:
        step = (date - scenario.start).days // 7
        for actor in ("Armenia", "Azerbaijan"):
            x = model.recorder.series["trust", actor, "Russia"][step]
            obs = Observation("trust", 0.0, n=1500)
            y = float(np.clip(x[0] + om.noise_sd(obs, x)[0] * rng.standard_normal(), 0, 1))
            rows.append((date, "trust", actor, "Russia", round(y, 4), 1500))
    for date in (dt.date(2021, 12, 31), dt.date(2022, 12, 31)):
        step = (date - scenario.start).days // 7
        x = model.recorder.series["clashes_cum", None, None][step][0]
        rows.append((date, "clashes_cum", "", "", max(0, round(x + rng.normal())), ""))
    lines = ["date,metric,actor,target,value,n,source,note"]
    lines += [f"{d},{m},{a},{t},{v},{n},SYN,synthetic" for d, m, a, t, v, n in rows]
    file = folder / f"synthetic{trial}.csv"
    file.write_text("\n".join(lines) + "\n")
    return truth, file


def recover(
    trial: int, folder: Path, particles: int = 300
) -> tuple[dict[str, float], pd.DataFrame]:
    truth, file = synthetic(trial, folder)
    fit = api.calibrate(
        "baseline",
        file,
        cutoff=CUTOFF,
        out=folder / f"fit{trial}",
        params={p: list(r) for p, r in RECOVER.items()},
        particles=particles,
        seed=trial,
        predictive=0,
        figures=False,
    )
    return truth, fit.parameters.set_index("parameter")


def check(results: list[tuple[dict[str, float], pd.DataFrame]]) -> None:
    """Every parameter's true value inside its 90% interval in most trials."""
    for p in RECOVER:
        inside = [
            t.loc[p, "posterior_q05"] <= truth[p] <= t.loc[p, "posterior_q95"]
            for truth, t in results
        ]
        assert sum(inside) > len(results) / 2, (p, inside)
    for _, table in results:
        for p in INFORMED:
            assert table.loc[p, "width_ratio"] <= 0.5, table.loc[p]


def test_parameter_recovery_one_trial(tmp_path: Path) -> None:
    """One trial: the true values inside the 90% intervals, the informed ones at most half
    as wide as the prior's."""
    truth, table = recover(0, tmp_path)
    for p, v in truth.items():
        assert table.loc[p, "posterior_q05"] <= v <= table.loc[p, "posterior_q95"], (p, v)
    for p in INFORMED:
        assert table.loc[p, "width_ratio"] <= 0.5


@pytest.mark.slow
def test_parameter_recovery_several_trials(tmp_path: Path) -> None:
    """Five seeded trials: each true value inside its 90% interval in most of them."""
    check([recover(trial, tmp_path, particles=500) for trial in range(1, 6)])
