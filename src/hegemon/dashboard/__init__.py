"""An interactive dashboard in the browser (Mesa's SolaraViz), served by a local server.

``hegemon dashboard`` calls :func:`serve`. The page is :mod:`hegemon.dashboard.app`; what it
runs and draws is in :mod:`hegemon.dashboard.model`, which needs no solara. Every front-end
asset is served by the local server (``solara-assets``), so the page works offline.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from hegemon.errors import HegemonError

__all__ = ["APP", "SCENARIO_ENV", "serve", "server_command", "server_environment"]

APP = "hegemon.dashboard.app"
SCENARIO_ENV = "HEGEMON_DASHBOARD_SCENARIO"  # the scenario the page starts with
INSTALL_HINT = "the dashboard needs: pip install 'hegemon[dashboard]'"


def _require_solara() -> None:
    for module in ("solara", "solara_assets", "altair", "mesa.visualization"):
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
        "--no-open",
        "--no-check-version",  # solara would ask PyPI for its latest version at every start
    ]


def server_environment(scenario: str = "baseline") -> dict[str, str]:
    """The environment for the server: the starting scenario; no telemetry, no browser; no
    "This website runs on Solara" banner, which floats over the page's bottom right corner
    (the page credits Solara in its sidebar instead)."""
    env = dict(os.environ)
    env[SCENARIO_ENV] = str(scenario)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    env["SOLARA_THEME_SHOW_BANNER"] = "false"
    env.setdefault("MPLBACKEND", "Agg")
    return env


def serve(scenario: str = "baseline", host: str = "127.0.0.1", port: int = 8765) -> int:
    """Serve the dashboard at ``http://host:port`` until interrupted; return the server's
    exit status. ``scenario`` (a bundled name or a file) is the one the page starts with."""
    _require_solara()
    from hegemon.scenario import load_scenario

    load_scenario(scenario)  # a bad scenario fails here, with the usual message
    if Path(scenario).is_file():
        scenario = str(Path(scenario).resolve())  # the server may not share our folder
    command = server_command(host, port)
    print(f"hegemon dashboard: http://{host}:{port} (Ctrl-C to stop)", file=sys.stderr)
    proc = subprocess.Popen(command, env=server_environment(scenario))
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_signal) if main else None
    try:
        return proc.wait()
    except KeyboardInterrupt:  # the server got Ctrl-C too; give it a moment to stop
        return 130
    finally:
        if proc.poll() is None:  # never leave an orphan server holding the port
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if main:
            signal.signal(signal.SIGTERM, previous)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)
