"""Results folders, written and read in one place: runs, comparisons, sweeps,
sensitivity analyses, scores and calibrations (schema in docs/results.md)."""

from hegemon.results.calibration import CalibrationResults
from hegemon.results.comparison import Comparison, folder_names
from hegemon.results.folder import (
    KINDS,
    atomic_folder,
    check_folder_name,
    check_target,
    interrupted_run,
    kind_of,
    make_manifest,
    move_into_place,
    now,
    read_manifest,
    replaceable,
    results_kind,
    scenario_yaml,
    write_manifest,
)
from hegemon.results.run import Results
from hegemon.results.samples import SampleResults, open_folder
from hegemon.results.scores import ScoreResults

__all__ = [
    "KINDS",
    "CalibrationResults",
    "Comparison",
    "Results",
    "SampleResults",
    "ScoreResults",
    "atomic_folder",
    "check_folder_name",
    "check_target",
    "folder_names",
    "interrupted_run",
    "kind_of",
    "make_manifest",
    "move_into_place",
    "now",
    "open_folder",
    "read_manifest",
    "replaceable",
    "results_kind",
    "scenario_yaml",
    "write_manifest",
]
