"""An interactive dashboard in the browser (Mesa's SolaraViz), served by a local server.

``hegemon dashboard`` calls :func:`serve`. The page is :mod:`hegemon.dashboard.app`; what it
runs and draws is in :mod:`hegemon.dashboard.model`, which needs no solara. Every front-end
asset is served by the local server (``solara-assets``), so the page works offline.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

from hegemon.errors import HegemonError

__all__ = ["APP", "SCENARIO_ENV", "serve", "server_command", "server_environment"]

APP = "hegemon.dashboard.app"
SCENARIO_ENV = "HEGEMON_DASHBOARD_SCENARIO"  # the scenario the page starts with
INSTALL_HINT = "the dashboard needs: pip install 'hegemon[dashboard]'"


def _require_solara() -> None:
    for module in ("solara", "solara_assets", "mesa.visualization"):
        try:
            found = importlib.util.find_spec(module) is not None
        except ImportError:  # a parent package is missing
            found = False
        if not found:
            raise HegemonError(INSTALL_HINT)


def server_command(host: str = "127.0.0.1", port: int = 8765) -> list[str]:
    """The command that runs the dashboard's server (solara, production mode)."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
    ]


def server_environment(scenario: str = "baseline") -> dict[str, str]:
    """The environment for the server: the starting scenario; no telemetry, no browser."""
    env = dict(os.environ)
    env[SCENARIO_ENV] = str(scenario)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    env.setdefault("MPLBACKEND", "Agg")
    return env


def serve(scenario: str = "baseline", host: str = "127.0.0.1", port: int = 8765) -> int:
    """Serve the dashboard at ``http://host:port`` until interrupted; return the server's
    exit status. ``scenario`` (a bundled name or a file) is the one the page starts with."""
    _require_solara()
    from hegemon.scenario import load_scenario

    load_scenario(scenario)  # a bad scenario fails here, with the usual message
    command = server_command(host, port)
    print(f"hegemon dashboard: http://{host}:{port} (Ctrl-C to stop)", file=sys.stderr)
    try:
        return subprocess.call(command, env=server_environment(scenario))
    except KeyboardInterrupt:
        return 130
