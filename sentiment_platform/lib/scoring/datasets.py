"""The labeled tweets the default model is trained and evaluated on (TweetEval sentiment)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATASET_DIR = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "tweeteval_sentiment"
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class LabeledTexts:
    """One split: stripped texts and their labels (0 negative, 1 neutral, 2 positive)."""

    split: str
    texts: list[str]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.texts)


def load_split(dataset_dir: str | Path, split: str) -> LabeledTexts:
    """Read ``{split}_text.txt`` and ``{split}_labels.txt``; raises if they do not line up."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    folder = Path(dataset_dir)
    text_path, label_path = folder / f"{split}_text.txt", folder / f"{split}_labels.txt"
    if not text_path.exists() or not label_path.exists():
        raise FileNotFoundError(f"TweetEval split {split!r} not found under {folder}")
    texts = [line.strip() for line in text_path.read_text(encoding="utf-8").splitlines()]
    labels = [int(line) for line in label_path.read_text(encoding="utf-8").split()]
    if len(texts) != len(labels):
        raise ValueError(f"{split}: {len(texts)} texts but {len(labels)} labels")
    if any(label not in (0, 1, 2) for label in labels):
        raise ValueError(f"{split}: labels must be 0, 1 or 2")
    return LabeledTexts(split, texts, labels)
