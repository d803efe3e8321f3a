"""The private PostgreSQL of ``make run`` and the tests: reaching its data folder as the server user."""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path

from kit.local.postgres import make_reachable


def test_closed_folders_on_the_way_open_for_passage_only(tmp_path: Path) -> None:
    closed = Path(tempfile.mkdtemp(dir=tmp_path))
    inner = closed / "project" / ".zentrale"
    inner.mkdir(parents=True)
    assert not closed.stat().st_mode & stat.S_IXOTH

    make_reachable(inner)

    for folder in (closed, closed / "project", inner):
        mode = folder.stat().st_mode
        assert mode & stat.S_IXOTH
    assert not closed.stat().st_mode & stat.S_IROTH
