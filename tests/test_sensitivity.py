"""Sweeps and sensitivity analysis: the SALib wiring on a function with known indices, and
on the model, a parameter that must matter ranks above one that must not."""

from __future__ import annotations

import math

import numpy as np
import pytest
from click.testing import CliRunner

from hegemon.analysis.sensitivity import (
    design,
    indices_of,
    parse_grid,
    sample_count,
    sensitivity,
    sweep,
    sweep_bands,
)
from hegemon.cli import cli
from hegemon.errors import HegemonError

PI = math.pi
ISHIGAMI = {"x1": (-PI, PI), "x2": (-PI, PI), "x3": (-PI, PI)}


def ishigami(X: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    x1, x2, x3 = X.T
    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)


def test_sobol_wiring_recovers_the_ishigami_indices():
    """Analytical values (Ishigami & Homma 1990; Saltelli et al. 2008): S1 = 0.314, 0.442,
    0; ST = 0.558, 0.442, 0.244."""
    X = design("sobol", ISHIGAMI, 1024, seed=3)
    assert X.shape == (sample_count("sobol", 1024, 3), 3)
    rows = {r["parameter"]: r for r in indices_of("sobol", ISHIGAMI, X, ishigami(X), seed=3)}
    for name, s1, st in (("x1", 0.314, 0.558), ("x2", 0.442, 0.442), ("x3", 0.0, 0.244)):
        assert rows[name]["S1"] == pytest.approx(s1, abs=0.06)
        assert rows[name]["ST"] == pytest.approx(st, abs=0.06)


@pytest.mark.parametrize("method", ["sobol", "morris"])
@pytest.mark.parametrize("seed", [0, 7])
def test_the_indices_and_their_intervals_are_the_same_for_the_same_seed(method, seed):
    """Every seed, 0 (the CLI's default) included: SALib's Sobol' analysis would draw its
    bootstrap from NumPy's global state for a seed of 0."""
    X = design(method, ISHIGAMI, 64 if method == "sobol" else 20, seed=seed)
    first = indices_of(method, ISHIGAMI, X, ishigami(X), seed=seed)
    assert indices_of(method, ISHIGAMI, X, ishigami(X), seed=seed) == first


def test_morris_wiring_ranks_the_ishigami_inputs():
    X = design("morris", ISHIGAMI, 40, seed=3)
    assert X.shape == (sample_count("morris", 40, 3), 3)
    rows = indices_of("morris", ISHIGAMI, X, ishigami(X), seed=3)
    mu_star = {r["parameter"]: r["mu_star"] for r in rows}
    # x3 acts only through its interaction with x1, and weakly at that
    assert mu_star["x3"] < mu_star["x1"] and mu_star["x3"] < mu_star["x2"]


def test_resolve_matters_for_armenias_trust_and_turkeys_growth_does_not(baseline):
    indices, samples = sensitivity(
        baseline,
        "morris",
        params=["actors.Russia.resolve", "actors.Turkey.gdp_growth"],
        n=8,
        replicates=20,
        seed=1,
    )
    trust = indices[indices["output"] == "trust_change__Armenia__Russia"]
    ranked = list(trust["parameter"])
    assert ranked[0] == "actors.Russia.resolve"
    mu = trust.set_index("parameter")["mu_star"]
    assert mu["actors.Russia.resolve"] > 5 * mu["actors.Turkey.gdp_growth"]
    assert len(samples) == sample_count("morris", 8, 2)


def test_a_sweep_of_resolve_raises_armenias_trust(baseline):
    table = sweep(baseline, dict([parse_grid("actors.Russia.resolve=0:1:3")]), replicates=60)
    trust = table[table["output"] == "trust_change__Armenia__Russia"].sort_values(
        "actors.Russia.resolve"
    )
    assert trust["mean"].is_monotonic_increasing
    assert (trust["runs_q05"] <= trust["runs_q50"]).all()
    assert (trust["runs_q50"] <= trust["runs_q95"]).all()
    # the two meanings of a band live in columns of their own, and each row says which
    assert set(trust["bands"]) == {"spread across runs (quantiles)"}
    assert trust[["ci50_low", "ci90_high"]].isna().all().all()
    share = table[table["output"] == "managed_decline_share"]
    assert set(share["bands"]) == {"confidence interval of the share"}
    assert share[["runs_q05", "runs_q95"]].isna().all().all()
    assert (share["ci90_low"] <= share["ci50_low"]).all()
    assert (share["ci50_low"] <= share["mean"]).all() and (
        share["mean"] <= share["ci50_high"]
    ).all()
    assert (share["ci50_high"] <= share["ci90_high"]).all()
    bands = sweep_bands(share)
    assert bands["q50"].equals(share["mean"]) and bands["q95"].equals(share["ci90_high"])


@pytest.mark.parametrize(
    "spec",
    ["actors.Russia.resolve=0:1", "actors.Russia.resolve=0:1:1", "actors.Russia.resolve"],
)
def test_bad_grids_are_refused(spec):
    with pytest.raises(HegemonError, match="KEY=LO:HI:N"):
        parse_grid(spec)


def test_out_of_bounds_or_unknown_parameters_are_refused(baseline):
    with pytest.raises(HegemonError, match="out of range"):
        sweep(baseline, dict([parse_grid("conflict.escalation=0:2:3")]), replicates=2)
    with pytest.raises(HegemonError, match="not a numeric parameter"):
        sweep(baseline, dict([parse_grid("relations.peacekeeping.term_years=1:2:2")]), 2)


def test_cli_sweep_and_sensitivity_write_their_folders(tmp_path):
    runner = CliRunner()
    out = tmp_path / "sweep"
    result = runner.invoke(
        cli,
        ["sweep", "baseline", "--param", "actors.Russia.resolve=0:1:2", "-r", "4",
         "--workers", "1", "-o", str(out), "-q", "--no-figures"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "sweep.parquet").is_file() and (out / "manifest.json").is_file()
    out = tmp_path / "sens"
    params = tmp_path / "params.yaml"
    params.write_text("parameters:\n  - actors.Russia.resolve\n  - conflict.clash_rate\n")
    result = runner.invoke(
        cli,
        ["sensitivity", "baseline", "--method", "morris", "-n", "2", "-r", "2",
         "--params", str(params), "--workers", "1", "-o", str(out), "-q", "--no-figures"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "indices.parquet").is_file() and (out / "samples.parquet").is_file()


def test_cli_bad_param_is_one_line(tmp_path):
    result = CliRunner().invoke(
        cli, ["sweep", "baseline", "--param", "actors.Russia.resolve=0:9:2", "-o",
              str(tmp_path / "x"), "-q"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.output.count("error:") == 1 and "Traceback" not in result.output
    assert not (tmp_path / "x").exists()
