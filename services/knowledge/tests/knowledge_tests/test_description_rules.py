"""The rules of descriptions that need no database: merging layers and the editorial workflow."""

from __future__ import annotations

import pytest

from knowledge.description.content import Content, Parts, local, merge, stored
from knowledge.description.workflow import TransitionForbidden, TransitionRefused, check_transition, status_after_edit

PASSPORT = {
    "name": "Reisepass beantragen",
    "modules": {"full_text": "Einen Reisepass beantragen Sie persönlich.", "procedure": "Termin vereinbaren."},
    "fees": [{"label": "Reisepass", "amount_eur": "70.00"}],
    "synonyms": ["Pass"],
}


def test_supplement_overrides_single_modules_and_adds_synonyms() -> None:
    supplement = {"modules": {"procedure": "Termin im Bürgerbüro Quakenbrück."}, "synonyms": ["Pass", "Reisedokument"]}

    merged, origins = merge(PASSPORT, supplement)

    assert merged["modules"] == {
        "full_text": "Einen Reisepass beantragen Sie persönlich.",
        "procedure": "Termin im Bürgerbüro Quakenbrück.",
    }
    assert merged["synonyms"] == ["Pass", "Reisedokument"]
    assert origins == {
        "name": "base",
        "fees": "base",
        "modules.full_text": "base",
        "modules.procedure": "supplement",
        "synonyms": "supplement",
    }


def test_shared_description_without_supplement_is_all_base() -> None:
    merged, origins = merge(PASSPORT, None)
    assert merged["fees"] == PASSPORT["fees"]
    assert set(origins.values()) == {"base"}


def test_own_description_is_all_local() -> None:
    _, origins = local(PASSPORT)
    assert set(origins.values()) == {"local"}


def test_stored_content_keeps_only_what_is_set() -> None:
    assert stored(Parts.model_validate({"modules": {"notes": "Nur mit Termin"}})) == {
        "modules": {"notes": "Nur mit Termin"}
    }
    assert stored(Content.model_validate({"name": "Wohnsitz anmelden"})) == {"name": "Wohnsitz anmelden"}


@pytest.mark.parametrize(
    ("current", "wanted", "may_publish"),
    [
        ("draft", "review", False),
        ("review", "published", True),
        ("published", "archived", True),
        ("archived", "draft", False),
    ],
)
def test_allowed_moves(current: str, wanted: str, may_publish: bool) -> None:
    check_transition(current, wanted, may_publish=may_publish)  # type: ignore[arg-type]


def test_only_editors_publish_and_nothing_skips_back_from_published() -> None:
    with pytest.raises(TransitionForbidden):
        check_transition("review", "published", may_publish=False)
    with pytest.raises(TransitionRefused):
        check_transition("published", "draft", may_publish=True)


def test_edits_of_people_who_may_not_publish_go_to_review() -> None:
    assert (status_after_edit(may_publish=True), status_after_edit(may_publish=False)) == ("draft", "review")
