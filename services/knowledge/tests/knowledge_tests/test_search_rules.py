"""The German analyser, the query's alternatives and the snippets, without a database."""

from __future__ import annotations

from knowledge.search.analysis import document, lexemes, vocabulary, weighted_fields
from knowledge.search.query import (
    COMMON_WORD_ENTRIES,
    Vocabulary,
    alternatives,
    compounds_of,
    likely_readings,
    narrowing,
    parse,
    tsquery,
    unknown,
    widened,
)
from knowledge.search.snippet import Matcher, highlight, snippet


def test_umlauts_their_spellings_and_sharp_s_share_a_lexeme() -> None:
    assert lexemes("Führerschein Fuehrerschein") == ["fuhrerschein", "fuhrerschein"]
    assert lexemes("Straße Strasse") == ["strass", "strass"]


def test_inflections_share_a_lexeme_and_filler_words_are_dropped() -> None:
    assert lexemes("Ich möchte bitte meinen Wohnsitz anmelden") == ["wohnsitz", "anmeld"]
    assert lexemes("Anmeldung") == lexemes("anmelden")


def test_a_document_weighs_name_over_synonyms_over_teaser_over_body() -> None:
    content = {
        "name": "Hundesteuer",
        "synonyms": ["Hundemarke"],
        "modules": {"teaser": "Steuer für Hunde", "full_text": "Die Steuer zahlen Halter."},
    }
    literal = document(weighted_fields(content))

    assert literal.startswith("'hundesteu':1A 'hundemark':10B")
    assert "'steu':19C,29D" in literal
    assert vocabulary(literal) == ["hundesteu", "hundemark", "steu", "hund", "zahl", "halt"]


def test_a_compound_query_word_matches_its_parts_and_a_head_matches_compounds() -> None:
    words = parse("Gewerbeanmeldung")
    known = Vocabulary(known=frozenset({"gewerb", "anmeld"}))
    choice = alternatives(words[0], known)

    assert choice is not None
    assert tsquery([choice], every_word=True) == "(('gewerb' & 'anmeld'))"

    split = parse("Gewerbe anmelden")
    compounds = Vocabulary(known=frozenset({"gewerb", "anmeld"}), compounds={"anmeld": ("gewerbeanmeld",)})
    choices = [choice for word in split if (choice := alternatives(word, compounds))]
    assert tsquery(choices, every_word=True) == "('gewerb') & ('anmeld' | 'gewerbeanmeld')"


def test_callers_terms_find_the_official_ones() -> None:
    word = parse("Perso")[0]
    choice = alternatives(word, Vocabulary(known=frozenset({"personalausweis"})))

    assert choice is not None
    assert choice.operands == ("'personalausweis'",)


def test_only_words_nothing_matches_are_corrected_and_a_word_without_any_match_is_left_out() -> None:
    words = parse("Persnalausweis Reisepass")
    vocabulary = Vocabulary(
        known=frozenset({"reisepass"}), similar={"persnalausweis": ("personalausweis", "personalien")}
    )

    assert unknown(words, Vocabulary(known=frozenset({"reisepass"}))) == ["persnalausweis"]
    corrected = alternatives(words[0], vocabulary)
    assert corrected is not None
    assert corrected.corrected == "personalausweis"
    assert alternatives(parse("Xylophon")[0], Vocabulary()) is None


def test_a_typo_is_read_as_a_second_known_word_only_if_that_is_nearly_as_alike() -> None:
    assert likely_readings([("wohngeld", 0.64), ("wohn", 0.4)]) == ("wohngeld",)
    assert likely_readings([("meldebescheinigung", 0.7), ("meldebestatigung", 0.62)]) == (
        "meldebescheinigung",
        "meldebestatigung",
    )
    assert likely_readings([]) == ()


def test_any_word_is_enough_when_every_word_finds_nothing() -> None:
    vocabulary = Vocabulary(known=frozenset({"hund", "steu"}))
    choices = [choice for word in parse("Hund Steuer") if (choice := alternatives(word, vocabulary))]

    assert tsquery(choices, every_word=False) == "('hund') | ('steu')"


def test_candidates_are_found_through_all_but_the_common_words() -> None:
    common, rare = COMMON_WORD_ENTRIES + 1, 12
    vocabulary = Vocabulary(
        known=frozenset({"antrag", "wohngeld", "meld"}), frequency={"antrag": common, "wohngeld": rare, "meld": common}
    )
    choices = [choice for word in parse("Antrag Wohngeld melden") if (choice := alternatives(word, vocabulary))]

    assert [choice.word.lexeme for choice in narrowing(choices, vocabulary)] == ["wohngeld"]
    # Only common words: the rarest of them.
    both_common = Vocabulary(known=vocabulary.known, frequency={"antrag": common + 5, "meld": common})
    assert [choice.word.lexeme for choice in narrowing(choices[::2], both_common)] == ["meld"]


def test_the_snippet_is_the_passage_with_the_most_matches_escaped_and_marked() -> None:
    content = {
        "name": "Personalausweis",
        "modules": {
            "teaser": "Der Ausweis für Deutsche.",
            "full_text": " ".join(["Allgemeines."] * 40) + " Bringen Sie ein Passfoto & den alten Personalausweis mit.",
        },
    }
    matcher = Matcher(frozenset({"passfoto", "personalausweis"}))

    text = snippet(content, matcher)

    assert text is not None
    assert text.startswith("… ")
    assert "<mark>Passfoto</mark> &amp; den alten <mark>Personalausweis</mark> mit." in text
    assert highlight("Personalausweis <neu>", matcher) == "<mark>Personalausweis</mark> &lt;neu&gt;"


def test_a_word_widens_to_its_most_common_compounds_only() -> None:
    words = parse("Hund Perso")
    found = {"hund": 9, "hundesteu": 5, "hundeanmeld": 2, "schaferhund": 1, "hunt": 4, "perso": 1, "person": 50}

    assert compounds_of(words, found) == {"hund": ("hundesteu", "hundeanmeld", "schaferhund")}
    assert widened(words) == ["hund", "perso"]


def test_the_matcher_marks_the_words_of_the_lexemes_found() -> None:
    matcher = Matcher(frozenset({"hundesteu"}))

    assert highlight("Hundesteuer und Katzen", matcher) == "<mark>Hundesteuer</mark> und Katzen"


def test_a_passage_with_more_distinct_words_wins_and_the_same_word_in_any_case_counts_once() -> None:
    matcher = Matcher(frozenset({"hund"}), words=2)

    found = snippet({"modules": {"full_text": "Hund hund HUND a b c d e f Hund Hunde g"}}, matcher, size=5)
    tied = snippet({"modules": {"full_text": "Hund hund HUND a b c d e f Hund HUND g"}}, matcher, size=5)

    assert found == "… d e f <mark>Hund</mark> <mark>Hunde</mark> …"
    assert tied == "<mark>Hund</mark> <mark>hund</mark> <mark>HUND</mark> a b …"


def test_a_later_text_gives_the_snippet_only_when_it_matches_better() -> None:
    content = {"modules": {"notes": "Die Steuer.", "teaser": "Eine Steuer.", "full_text": "Steuer für den Hund."}}

    assert snippet(content, Matcher(frozenset({"steu"}), words=5)) == "Eine <mark>Steuer</mark>."
    assert snippet(content, Matcher(frozenset({"hund", "steu"}), words=3)) == (
        "<mark>Steuer</mark> für den <mark>Hund</mark>."
    )


def test_a_passage_with_every_word_of_the_query_ends_the_search() -> None:
    content = {"modules": {"teaser": "Ein Hund.", "full_text": "Hund, Hunde und Hundes."}}

    assert snippet(content, Matcher(frozenset({"hund"}), words=1)) == "Ein <mark>Hund</mark>."
    assert snippet(content, Matcher(frozenset({"hund"}), words=2)) == (
        "<mark>Hund</mark>, <mark>Hunde</mark> und <mark>Hundes</mark>."
    )


def test_without_a_match_the_first_text_opens_the_snippet_and_without_a_text_there_is_none() -> None:
    matcher = Matcher(frozenset({"hund"}))
    long_text = " ".join(f"Satz{number}." for number in range(40))

    assert snippet({"modules": {"teaser": "Nichts & so.", "full_text": "Ein Hund."}}, Matcher(frozenset())) == (
        "Nichts &amp; so."
    )
    assert snippet({"modules": {"full_text": long_text}}, matcher, size=3) == "Satz0. Satz1. Satz2 …"
    assert snippet({"modules": {"teaser": ""}}, matcher) == ""
    assert snippet({"modules": {}}, matcher) is None
    assert snippet({}, matcher) is None


def test_the_text_between_marks_is_escaped() -> None:
    matcher = Matcher(frozenset({"hund", "hundesteu"}))

    assert highlight('Hunde & "Hundesteuer" <Hund>', matcher) == (
        "<mark>Hunde</mark> &amp; &quot;<mark>Hundesteuer</mark>&quot; &lt;<mark>Hund</mark>&gt;"
    )
    assert snippet({"modules": {"teaser": "&lt; 'Hund'"}}, matcher) == "&amp;lt; &#x27;<mark>Hund</mark>&#x27;"
