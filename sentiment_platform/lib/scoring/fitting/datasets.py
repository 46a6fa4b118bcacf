"""The labeled tweets the text models are trained and evaluated on: TweetEval sentiment (English)
and UMSAB (eight languages), read where they live beside the checkout (never copied)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: ``../shared/datasets`` beside the checkout (this file is sentiment_platform/lib/scoring/fitting/datasets.py).
SHARED_DATASETS = Path(__file__).resolve().parents[5] / "shared" / "datasets"
DEFAULT_DATASET_DIR = SHARED_DATASETS / "tweeteval_sentiment"
DEFAULT_UMSAB_DIR = SHARED_DATASETS / "umsab_sentiment"
SPLITS = ("train", "val", "test")
#: UMSAB's folders by the ISO 639-1 code of their language (``hindi`` is romanised Hindi).
UMSAB_LANGUAGES = {
    "ar": "arabic",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "hi": "hindi",
    "it": "italian",
    "pt": "portuguese",
}


@dataclass(frozen=True)
class LabeledTexts:
    """One split: stripped texts and their labels (0 negative, 1 neutral, 2 positive)."""

    split: str
    texts: list[str]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.texts)


def joined_texts(parts: Iterable[LabeledTexts], split: str = "train") -> LabeledTexts:
    """``parts`` (languages, data sets) as one split, in their order."""
    parts = list(parts)
    return LabeledTexts(split, [t for p in parts for t in p.texts], [y for p in parts for y in p.labels])


def load_split(dataset_dir: str | Path, split: str) -> LabeledTexts:
    """Read ``{split}_text.txt`` and ``{split}_labels.txt``; raises if they do not line up."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    folder = Path(dataset_dir)
    text_path, label_path = folder / f"{split}_text.txt", folder / f"{split}_labels.txt"
    if not text_path.exists() or not label_path.exists():
        raise FileNotFoundError(f"split {split!r} not found under {folder}")
    texts = [line.strip() for line in text_path.read_text(encoding="utf-8").splitlines()]
    labels = [int(line) for line in label_path.read_text(encoding="utf-8").split()]
    if len(texts) != len(labels):
        raise ValueError(f"{split}: {len(texts)} texts but {len(labels)} labels")
    if any(label not in (0, 1, 2) for label in labels):
        raise ValueError(f"{split}: labels must be 0, 1 or 2")
    return LabeledTexts(split, texts, labels)


def load_umsab(dataset_dir: str | Path, split: str, limit: int | None = None) -> dict[str, LabeledTexts]:
    """One UMSAB split (``train`` or ``val``) per language code; ``limit`` caps rows per language."""
    if split not in ("train", "val"):
        raise ValueError(f"UMSAB has train and val splits here, not {split!r}")
    found = {}
    for code, folder in UMSAB_LANGUAGES.items():
        part = load_split(Path(dataset_dir) / folder, split)
        found[code] = LabeledTexts(split, part.texts[:limit], part.labels[:limit]) if limit else part
    return found
