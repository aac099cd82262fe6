"""Errors a user can act on: each renders as one line naming the file, line and key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class HegemonError(Exception):
    """Base class for errors that the CLI reports as one line and a non-zero exit."""


@dataclass(frozen=True)
class Problem:
    """One problem in a scenario file: where it is and what was expected."""

    file: Path | str | None
    line: int | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = str(self.file) if self.file is not None else "<scenario>"
        if self.line is not None:
            where += f":{self.line}"
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


class BadInput(HegemonError):
    """An option or argument hegemon cannot use (the CLI: one line and exit status 2)."""


class ScenarioError(HegemonError):
    """A scenario that cannot be loaded; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM, with what was kept: ``message`` says so and how to continue (empty:
    nothing was kept); ``signum`` is the signal (the CLI exits with 128 + signum)."""

    def __init__(self, message: str = "", signum: int = 2):
        super().__init__(message)
        self.message, self.signum = message, signum
