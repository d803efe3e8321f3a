from __future__ import annotations

from collections.abc import Iterator

import pytest

from .support import StackHandle, running_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[StackHandle]:
    """The whole stack with the demo, once per session; stopped (and its folder removed) at the end."""
    with running_stack() as handle:
        yield handle
