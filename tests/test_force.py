"""``--force`` replaces only what hegemon wrote: a results folder whose manifest says so (a
run, comparison, sweep or sensitivity folder) or an interrupted run's ``.partial``; anything
else is refused with one line and nothing is deleted (issue 18, item 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_bad_scenarios import run_cli
from test_failures import snapshot

import hegemon
from hegemon.errors import HegemonError

RUN = ["run", "baseline", "--years", "0.2", "-r", "4", "--workers", "1", "-q", "--no-figures"]
COMMANDS = {
    "run": RUN,
    "compare": ["compare", "baseline", "no_peacekeepers", "-r", "4", "--workers", "1", "-q",
                "--no-figures"],
    "sweep": ["sweep", "baseline", "--param", "actors.Russia.resolve=0:1:2", "-r", "2",
              "--workers", "1", "-q", "--no-figures"],
    "sensitivity": ["sensitivity", "baseline", "-n", "2", "-r", "2", "--workers", "1", "-q",
                    "--no-figures"],
}  # fmt: skip


def a_project(folder: Path) -> Path:
    """Someone's work: a git repository with sources."""
    (folder / ".git").mkdir(parents=True)
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (folder / "src").mkdir()
    (folder / "src" / "thesis.tex").write_text("years of work")
    return folder


def assert_refused(result, folder: Path) -> None:
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {folder}: ") and "not a hegemon results folder" in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("command", COMMANDS)
def test_force_refuses_a_folder_that_is_not_a_results_folder(tmp_path, command):
    project = a_project(tmp_path / "proj")
    before = snapshot(project)
    result = run_cli(*COMMANDS[command], "-o", project, "--force")
    assert_refused(result, project)
    assert snapshot(project) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proj"]


@pytest.mark.parametrize(
    "manifest",
    [None, "{not json", '["a list"]', '{"kind": "website"}', '{"name": "my-app"}',
     '{"kind": "run"}'],
    ids=["no-manifest", "unreadable", "list", "other-kind", "web-manifest", "run-without-tables"],
)  # fmt: skip
def test_force_refuses_a_folder_whose_manifest_is_not_hegemons(tmp_path, manifest):
    project = a_project(tmp_path / "proj")
    if manifest is not None:
        (project / "manifest.json").write_text(manifest)
    before = snapshot(project)
    assert_refused(run_cli(*RUN, "-o", project, "--force"), project)
    assert snapshot(project) == before


def test_force_refuses_a_file(tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("precious")
    assert_refused(run_cli(*RUN, "-o", file, "--force"), file)
    assert file.read_text() == "precious"


def test_without_force_a_folder_that_is_not_results_does_not_suggest_force(tmp_path):
    project = a_project(tmp_path / "proj")
    result = run_cli(*RUN, "-o", project)
    assert result.exit_code == 1
    assert "not a hegemon results folder" in result.stderr and "--force" not in result.stderr


def test_force_refuses_a_partial_folder_that_is_not_an_interrupted_run(tmp_path):
    out = tmp_path / "out"
    partial = a_project(tmp_path / "out.partial")
    before = snapshot(partial)
    result = run_cli(*RUN, "-o", out, "--force")
    assert_refused(result, partial)
    assert snapshot(partial) == before and not out.exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_force_replaces_a_results_folder_of_each_kind(tmp_path, command):
    out = tmp_path / "out"
    first = run_cli(*COMMANDS[command], "-o", out)
    assert first.exit_code == 0, first.stderr
    kind = json.loads((out / "manifest.json").read_text())["kind"]
    assert kind == command
    again = run_cli(*COMMANDS[command], "-o", out, "--force")
    assert again.exit_code == 0, again.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_force_replaces_an_empty_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli(*RUN, "-o", out, "--force")
    assert result.exit_code == 0, result.stderr
    assert (out / "manifest.json").is_file()


def test_the_api_refuses_too(tmp_path):
    project = a_project(tmp_path / "proj")
    before = snapshot(project)
    with pytest.raises(HegemonError, match="not a hegemon results folder"):
        hegemon.run("baseline", replicates=2, out=project, overwrite=True)
    results = hegemon.run("baseline", replicates=2, store="summary")
    with pytest.raises(HegemonError, match="not a hegemon results folder"):
        results.save(project, overwrite=True, figures=False)
    assert snapshot(project) == before


def test_every_kind_of_folder_is_recognised_by_its_table():
    """Each kind in KINDS has the table that --force looks for beside its manifest."""
    from hegemon.results.folder import _KIND_MARKERS, KINDS

    assert {kind for _, kind in _KIND_MARKERS} == set(KINDS)
