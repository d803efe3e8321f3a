"""Why the stack did not come up, and where to read more."""

from __future__ import annotations

from pathlib import Path


class StartupFailed(RuntimeError):
    """Something the stack needs did not come up; ``log`` is where to read why."""

    def __init__(self, message: str, *, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


class ChildExited(StartupFailed):
    """A child process ended while it should be running."""

    def __init__(self, name: str, code: int, log: Path) -> None:
        super().__init__(f"{name} exited with code {code}", log=log)
        self.name = name
        self.code = code
