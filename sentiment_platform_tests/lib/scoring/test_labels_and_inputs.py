import pytest

from sentiment_platform.lib.scoring.fitting.metrics import classification_report
from sentiment_platform.lib.scoring.labels import (
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    map_model_labels,
)
from sentiment_platform.lib.scoring.text.text_input import (
    EMPTY,
    INVALID_ENCODING,
    NOT_TEXT,
    OK,
    check_text,
    describe_symbols,
)


@pytest.mark.parametrize(
    "id2label, expected",
    [
        ({0: "negative", 1: "neutral", 2: "positive"}, [NEGATIVE, NEUTRAL, POSITIVE]),
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, [NEGATIVE, NEUTRAL, POSITIVE]),
        ({0: "NEGATIVE", 1: "POSITIVE"}, [NEGATIVE, POSITIVE]),  # distilbert SST-2
        ({0: "LABEL_0", 1: "LABEL_1"}, [NEGATIVE, POSITIVE]),
        ({0: "Positive", 1: "Negative", 2: "Neutral"}, [POSITIVE, NEGATIVE, NEUTRAL]),
    ],
)
def test_model_labels_map_onto_the_three_classes(id2label, expected):
    assert map_model_labels(id2label) == expected


@pytest.mark.parametrize(
    "id2label",
    [{0: "joy", 1: "anger"}, {0: "LABEL_0"}, {0: "positive", 1: "positive"}, {i: f"LABEL_{i}" for i in range(5)}],
)
def test_unmappable_labels_are_refused_not_guessed(id2label):
    with pytest.raises(ValueError):
        map_model_labels(id2label)


def test_check_text_gives_every_input_a_status():
    assert check_text("  hello \n world ") == (OK, "hello world")
    assert check_text("   ") == (EMPTY, "")
    assert check_text("\u200b\u200d\ufeff\u2060 \u00ad\u202e\x00") == (EMPTY, "")  # nothing that shows
    assert check_text("\U0001f469\u200d\U0001f4bb")[0] == OK  # an emoji joined by a ZWJ shows
    assert check_text(None) == (NOT_TEXT, "")
    assert check_text(42) == (NOT_TEXT, "")
    assert check_text("café".encode()) == (OK, "café")
    assert check_text(b"\xff\xfe bad") == (INVALID_ENCODING, "")


def test_emoji_are_described_in_words_for_the_encoder():
    assert describe_symbols("so happy 😍👍🏽") == "so happy smiling face with heart-shaped eyes thumbs up sign"
    assert describe_symbols("❤️") == "heavy black heart"
    assert describe_symbols("plain text, no symbols") == "plain text, no symbols"
    # A run of the same emoji is named once; different emoji keep their order.
    assert describe_symbols("😡😡 😡 no") == "pouting face no"
    assert describe_symbols("👍🏽👍🏽😂") == "thumbs up sign face with tears of joy"


def test_macro_recall_is_the_mean_of_per_class_recalls():
    report = classification_report([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0])
    assert report["recall"] == {"negative": 0.5, "neutral": 1.0, "positive": 0.5}
    assert report["macro_recall"] == pytest.approx(2 / 3)
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
