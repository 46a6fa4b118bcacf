"""The platform's three sentiment classes and the mapping of other models' labels onto them."""

from __future__ import annotations

import re

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
NEGATIVE, NEUTRAL, POSITIVE = range(3)

_SYNONYMS = {
    "negative": NEGATIVE,
    "neg": NEGATIVE,
    "neutral": NEUTRAL,
    "neu": NEUTRAL,
    "positive": POSITIVE,
    "pos": POSITIVE,
}


def map_model_labels(id2label: dict[int, str]) -> list[int]:
    """Index of the platform class for each output of a classifier, given its ``id2label``.

    Named labels (``NEGATIVE``, ``neu``, ``Positive`` ...) map by name. Unnamed ones follow the
    usual conventions: ``LABEL_0..2`` of a three-label model are negative/neutral/positive (the
    TweetEval order), ``LABEL_0..1`` of a two-label model negative/positive (the SST-2 order).
    Anything else raises, rather than guessing a mapping that would silently invert scores.
    """
    names = [str(id2label[i]).strip().lower() for i in sorted(id2label)]
    if all(name in _SYNONYMS for name in names):
        mapped = [_SYNONYMS[name] for name in names]
    elif all(re.fullmatch(r"label_\d+", name) for name in names) and len(names) in (2, 3):
        mapped = [NEGATIVE, POSITIVE] if len(names) == 2 else [NEGATIVE, NEUTRAL, POSITIVE]
    else:
        raise ValueError(f"cannot map labels {names} onto {list(LABELS)}; name them negative/neutral/positive")
    if len(set(mapped)) != len(mapped) or NEGATIVE not in mapped or POSITIVE not in mapped:
        raise ValueError(f"labels {names} must name negative and positive once each")
    return mapped
