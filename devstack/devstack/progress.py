"""What the launcher shows while it works: one updating line on a terminal, plain lines otherwise."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TextIO


class Progress:
    """Reports steps and processes becoming ready, with the time since the launcher started."""

    def __init__(self, stream: TextIO, *, started: float, tty: bool | None = None) -> None:
        self.stream = stream
        self.started = started
        self.tty = stream.isatty() if tty is None else tty
        self._waiting: list[str] = []
        self._ready: list[str] = []
        self._line_open = False

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _print(self, text: str) -> None:
        if self._line_open:
            self.stream.write("\r\033[K")
            self._line_open = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def step(self, label: str, detail: str) -> None:
        """Report a finished step."""
        self._print(f"  {label:<20} {detail:<48} {self.elapsed():5.1f} s")

    def waiting_for(self, names: Iterable[str]) -> None:
        """Start showing which of ``names`` are still starting."""
        self._waiting = list(names)
        self._ready = []
        self._redraw()

    def ready(self, name: str, detail: str) -> None:
        """Mark one process ready."""
        self._ready.append(name)
        if self.tty:
            self._redraw()
        else:
            self.step(name, detail)

    def tick(self) -> None:
        """Refresh the elapsed time on a terminal."""
        if self.tty:
            self._redraw()

    def finish(self) -> None:
        if self.tty and self._waiting:
            self._print(f"  {'processes':<20} {f'{len(self._ready)} ready':<48} {self.elapsed():5.1f} s")
        self._waiting = []

    def message(self, text: str) -> None:
        self._print(text)

    def _redraw(self) -> None:
        if not self.tty or not self._waiting:
            return
        pending = [name for name in self._waiting if name not in self._ready]
        if not pending:
            return
        shown = ", ".join(pending[:4]) + (f" +{len(pending) - 4}" if len(pending) > 4 else "")
        text = f"  starting {len(self._ready)}/{len(self._waiting)} ready  waiting for {shown}  {self.elapsed():4.1f} s"
        self.stream.write("\r\033[K" + text)
        self.stream.flush()
        self._line_open = True
