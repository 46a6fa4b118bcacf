import random
from collections import Counter

import pytest

from sentiment_platform.lib.cleansing.languages import MIN_LETTERS, detect_languages
from sentiment_platform.sources.mock_network.phrasebook import PHRASES, SUBJECTS, compose_sentence
from sentiment_platform.sources.mock_network.world import SENTIMENTS, TOPICS


@pytest.mark.parametrize("lang", sorted(PHRASES))
def test_the_sentences_of_a_language_are_detected_as_that_language(lang):
    rng = random.Random(lang)
    sentences = [
        compose_sentence(rng, lang, sentiment, topic, TOPICS[topic]["subjects"])
        for sentiment in SENTIMENTS
        for topic in TOPICS
        for _ in range(4)
    ]
    codes = [code for code, _ in detect_languages(sentences)]
    detected = Counter(codes)
    # A short Latin-script sentence is undetermined rather than guessed; the rest read as the language.
    undetermined = [text for text, code in zip(sentences, codes) if code == "und"]
    assert all(sum(char.isalpha() for char in text) < MIN_LETTERS for text in undetermined), undetermined
    assert detected[lang] / (len(sentences) - len(undetermined)) >= 0.85, detected
    assert len(undetermined) <= 0.3 * len(sentences), detected


def test_every_language_has_every_sentiment_and_its_own_subjects_for_every_topic():
    for lang, phrases in PHRASES.items():
        assert set(phrases) == set(SENTIMENTS) and all(phrases.values()), lang
    for lang, subjects in SUBJECTS.items():
        assert set(subjects) == set(TOPICS), lang
    assert len([lang for lang in PHRASES if lang in SUBJECTS or lang == "en"]) >= 9
