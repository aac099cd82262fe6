"""Scenarios: the YAML format, its validation, and the bundled scenarios."""

from hegemon.scenario.loader import bundled_names, load_scenario, scenario_path
from hegemon.scenario.schema import Scenario

__all__ = ["Scenario", "bundled_names", "load_scenario", "scenario_path"]
