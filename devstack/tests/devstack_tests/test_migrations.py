"""A warm start skips migrating only when the revision files say the database is at its newest revision."""

from __future__ import annotations

from pathlib import Path

from devstack.migrations import head_revisions, versions_dir


def revision(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.py").write_text(f'"""A revision."""\n\n{body}\n\ndef upgrade() -> None:\n    pass\n')


def test_the_head_is_the_revision_nothing_builds_on(tmp_path: Path) -> None:
    revision(tmp_path, "one", 'revision = "0001"\ndown_revision = None')
    revision(tmp_path, "two", 'revision: str = "0002"\ndown_revision: str | None = "0001"')
    assert head_revisions(tmp_path) == frozenset({"0002"})


def test_a_merge_revision_closes_both_branches(tmp_path: Path) -> None:
    revision(tmp_path, "one", 'revision = "a"\ndown_revision = None')
    revision(tmp_path, "two", 'revision = "b"\ndown_revision = "a"')
    revision(tmp_path, "three", 'revision = "c"\ndown_revision = "a"')
    assert head_revisions(tmp_path) == frozenset({"b", "c"})
    revision(tmp_path, "four", 'revision = "d"\ndown_revision = ("b", "c")')
    assert head_revisions(tmp_path) == frozenset({"d"})


def test_a_revision_computed_at_run_time_is_not_guessed(tmp_path: Path) -> None:
    revision(tmp_path, "one", "revision = make_id()\ndown_revision = None")
    assert head_revisions(tmp_path) is None
    assert head_revisions(tmp_path / "empty") is None


def test_every_service_keeps_its_revisions_beside_its_migrate_module() -> None:
    versions = versions_dir("tenants")
    assert versions is not None
    assert head_revisions(versions)
    assert versions_dir("no_such_service_anywhere") is None
