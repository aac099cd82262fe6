"""Scenario discovery: PRIM and CART find known boxes, find none in noise, and the command
runs end to end on the baseline with one-line errors for a bad outcome."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from hegemon.analysis import discovery
from hegemon.analysis.discovery import Box, Cases, Column, parse_outcome, quasi_p
from hegemon.cli import cli
from hegemon.errors import BadInput

pytest.importorskip("ema_workbench")
pytest.importorskip("sklearn")

SRC = Path(__file__).resolve().parents[1] / "src"
TOLERANCE = 0.05  # of the unit range
IN_PROCESS = ("--workers", "1")


def invoke(*args: str | Path) -> Result:
    """The command line in this process, stdout and stderr apart (click >= 8.2)."""
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="hegemon")


def known_box(seed: int = 3, n: int = 1000, flip: float = 0.05) -> tuple[pd.DataFrame, np.ndarray]:
    """Five uniform parameters; the outcome holds where p0 < 0.4 and p1 > 0.6, with a
    share ``flip`` of the cases flipped at random."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.uniform(size=(n, 5)), columns=[f"p{i}" for i in range(5)])
    y = ((x["p0"] < 0.4) & (x["p1"] > 0.6)).to_numpy() ^ (rng.uniform(size=n) < flip)
    return x, y


def limits(found: discovery.Discovery, box: int = 1) -> dict[str, pd.Series]:
    rows = found.boxes[found.boxes["box"] == box]
    return {row.parameter: row for _, row in rows.set_index("parameter", drop=False).iterrows()}


def test_prim_recovers_a_known_box_with_significant_limits():
    x, y = known_box()
    found = discovery.discover(x, y, "prim")
    box = limits(found)
    assert set(box) == {"p0", "p1"}
    assert box["p0"]["high"] == pytest.approx(0.4, abs=TOLERANCE)
    assert box["p1"]["low"] == pytest.approx(0.6, abs=TOLERANCE)
    assert np.isnan(box["p0"]["qp_low"]) and np.isnan(box["p1"]["qp_high"])  # open sides
    assert all(row["qp"] < 0.05 for row in box.values())
    first = found.stats.iloc[0]
    assert first["density"] > 0.8 and first["lift"] > 4
    assert first["p_value"] < 0.05


def test_cart_finds_the_known_box_in_pieces():
    """CART's leaves cut the box where noise lets a split pay: each box lies inside the
    known one, restricts only its parameters, and together they hold most of its cases."""
    x, y = known_box()
    found = discovery.discover(x, y, "cart")
    assert not found.stats.empty
    assert set(found.boxes["parameter"]) <= {"p0", "p1"}
    for _, row in found.boxes.iterrows():
        if row["parameter"] == "p0":
            assert row["high"] <= 0.4 + TOLERANCE and np.isnan(row["qp_low"])
        else:
            assert row["low"] >= 0.6 - TOLERANCE and np.isnan(row["qp_high"])
    assert (found.boxes["qp"] < 0.05).all()
    assert found.stats["coverage"].sum() > 0.6


def test_prim_finds_the_box_with_most_of_its_cases():
    x, y = known_box()
    first = discovery.discover(x, y, "prim").stats.iloc[0]
    assert first["coverage"] > 0.7  # 5% of the cases are flipped at random: some lie outside


@pytest.mark.parametrize("method", ["prim", "cart"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pure_noise_gives_no_box_beating_the_base_rate(method, seed):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.uniform(size=(600, 6)), columns=[f"p{i}" for i in range(6)])
    y = rng.uniform(size=600) < 0.3
    found = discovery.discover(x, y, method)
    assert found.stats.empty, found.stats
    assert found.boxes.empty
    assert not found.assigned.any()


def test_quasi_p_values_are_ema_workbench_s():
    """The quasi-p values computed here are those EMA Workbench reports for the same box."""
    x, y = known_box(n=400)
    prim = discovery._prim_module()
    peeled = prim.Prim(x, y, mass_min=0.05).find_box()
    step = len(peeled.box_lims) // 2
    box = Box(discovery._limits_from(peeled.box_lims[step], peeled.box_lims[0]))
    ours = quasi_p(x, y, box)
    theirs = peeled.p_values[step]
    assert set(ours) == set(theirs)
    for path, (low, high) in ours.items():
        expected = [np.nan if v == -1 else v for v in theirs[path]]
        np.testing.assert_allclose([low, high], expected, rtol=1e-9, atol=1e-300)


def test_the_trajectory_marks_the_step_each_box_was_chosen_at():
    x, y = known_box()
    found = discovery.discover(x, y, "prim")
    chosen = found.trajectory[found.trajectory["chosen"]]
    assert list(chosen["box"]) == list(found.stats["box"])
    assert {"coverage", "density", "mass", "res_dim"} <= set(found.trajectory.columns)
    assert (found.trajectory["mass"] <= 1).all()


# --------------------------------------------------------------------------- outcomes


def cases_of(columns: dict[str, Column], note: str = "") -> Cases:
    values = pd.DataFrame(
        {
            "regime": ["managed_decline", "collapse", "erosion", "managed_decline"],
            "ceasefire_weeks": [10.0, np.nan, 60.0, 51.0],
            "ceasefire_held": [False, True, False, False],
            "influence_change__Russia": [-0.1, 0.0, -0.06, 0.02],
        }
    )[list(columns)]
    inputs = pd.DataFrame({"actors.Russia.resolve": [0.1, 0.2, 0.3, 0.4]})
    return Cases(inputs, values, columns, "replicate", note)


COLUMNS = {
    "regime": Column("regime", "outcome regime", "regime"),
    "ceasefire_weeks": Column("ceasefire_weeks", "Weeks until the ceasefire broke", "number",
                              "held"),
    "ceasefire_held": Column("ceasefire_held", "Ceasefire holding at the horizon", "binary"),
    "influence_change__Russia": Column("influence_change__Russia",
                                       "Change in Russia's influence", "number"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("regime=managed_decline", [True, False, False, True]),
        ("regime != managed_decline", [False, True, True, False]),
        ("ceasefire_weeks<52", [True, False, False, True]),
        ("ceasefire_weeks>=52", [False, True, True, False]),  # held: never broke
        ("influence_change__Russia<-0.05", [True, False, True, False]),
        ("ceasefire_held=false", [True, False, True, True]),
    ],
)
def test_an_outcome_selects_its_cases(text, expected):
    cases = cases_of(COLUMNS)
    assert parse_outcome(text, cases).select(cases.values).tolist() == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("regim=managed_decline", "regim: unknown outcome (did you mean 'regime'? allowed: "),
        ("regime=managed", "unknown regime 'managed' (did you mean 'managed_decline'?"),
        ("regime<2", "a regime is compared with = or !=, not <"),
        ("ceasefire_weeks<soon", "ceasefire_weeks: expected a number, got 'soon'"),
        ("ceasefire_held>1", "true or false"),
        ("collapse", "expected COLUMN OP VALUE"),
        ("param:actors.Russia.resolve<0.3", "a parameter, not an outcome"),
    ],
)
def test_a_bad_outcome_says_what_is_wrong_in_one_line(text, message):
    with pytest.raises(BadInput) as err:
        parse_outcome(text, cases_of(COLUMNS))
    assert str(err.value).startswith("--outcome: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_samples_have_no_regime_and_say_what_to_use():
    columns = {"managed_decline_share": Column("managed_decline_share", "share", "number")}
    values = pd.DataFrame({"managed_decline_share": [0.1, 0.5]})
    cases = Cases(pd.DataFrame({"a": [0.0, 1.0]}), values, columns, "sample", "use the share")
    with pytest.raises(BadInput, match=r"allowed: managed_decline_share.*use the share"):
        parse_outcome("regime=managed_decline", cases)
    assert parse_outcome("managed_decline_share>0.3", cases).select(values).tolist() == [
        False,
        True,
    ]


# --------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("discover") / "baseline"
    args = ("run", "baseline", "-r", "300", "--seed", "1", "--store", "summary")
    result = invoke(*args, "--no-figures", "-o", out, "-q", *IN_PROCESS)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def discovered(baseline, tmp_path_factory):
    out = tmp_path_factory.mktemp("discover") / "found"
    return invoke("discover", baseline, "--outcome", "influence_change__Russia<-0.05", "-o", out)


def test_discover_runs_on_the_baseline_and_reports_the_top_box(discovered):
    result = discovered
    assert result.exit_code == 0, result.output
    folder = Path(result.stdout.strip())
    stats = pd.read_csv(folder / "stats.csv")
    top = stats.iloc[0]
    assert top["lift"] > 1 and top["p_value"] < 0.05
    first = result.stderr.splitlines()[0]
    assert first.startswith("Change in Russia's influence is below -0.05 when Russia: resolve")
    assert f"{top['coverage']:.0%} of its cases, {top['density']:.0%} dense" in first
    assert f"lift {top['lift']:.1f} over the base rate {top['base_rate']:.0%}" in first


def test_the_discover_folder_holds_its_tables_figures_and_manifest(discovered, baseline):
    folder = Path(discovered.stdout.strip())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "discover"
    assert manifest["method"] == "prim"
    assert manifest["outcome"] == "influence_change__Russia<-0.05"
    assert manifest["source"] == str(baseline)
    assert manifest["rows"] == 300
    assert "actors.Russia.resolve" in manifest["parameters"]
    boxes = pd.read_csv(folder / "boxes.csv")
    assert list(boxes.columns[:5]) == ["box", "parameter", "low", "high", "qp"]
    assert (boxes["qp"] < 0.05).all()
    assert set(pd.read_csv(folder / "trajectory.csv").columns) >= {"coverage", "density", "mass"}
    cases = pd.read_parquet(folder / "cases.parquet")
    assert len(cases) == 300 and {"case", "box"} <= set(cases.columns)
    figures = {p.name for p in (folder / "figures").iterdir()}
    assert {"tradeoff.png", "box_limits.png", "scatter.png"} <= figures


def test_hegemon_plot_redraws_a_discover_folder(discovered, tmp_path):
    folder = Path(discovered.stdout.strip())
    result = invoke("plot", folder, "-o", tmp_path / "again")
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "again").iterdir()} >= {"tradeoff.png", "scatter.png"}


def test_the_python_api_discovers_with_cart(baseline, tmp_path):
    import hegemon

    found = hegemon.discover(
        baseline, "regime=managed_decline", "cart", out=tmp_path / "cart", figures=False
    )
    assert found.kind == "discover" and found.method == "cart"
    assert found.manifest["regime"] == "managed_decline"
    stats = found.table("stats")
    assert (stats["p_value"] < 0.05).all()
    assert not (tmp_path / "cart" / "figures").exists()


@pytest.mark.parametrize(
    "expression",
    ["regim=managed_decline", "regime=managed", "ceasefire_weeks<soon", "regime"],
)
def test_a_bad_outcome_is_one_line_and_exit_2(baseline, tmp_path, expression):
    result = invoke("discover", baseline, "--outcome", expression, "-o", tmp_path / "x")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: --outcome: ")
    assert not (tmp_path / "x").exists()


def test_discover_refuses_a_comparison_or_a_missing_folder(tmp_path):
    result = invoke("discover", tmp_path / "nothing", "--outcome", "regime=collapse")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1


def test_discover_in_a_real_process(baseline, tmp_path):
    out = tmp_path / "process"
    env = {**os.environ, "PYTHONPATH": str(SRC), "MPLBACKEND": "Agg"}
    args = ["discover", str(baseline), "--outcome", "regime=collapse", "--method", "cart"]
    done = subprocess.run(
        [sys.executable, "-m", "hegemon", *args, "-o", str(out), "--no-figures"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{out}\n"
    assert done.stderr.startswith("Collapse happens")
    assert (out / "boxes.csv").is_file()
