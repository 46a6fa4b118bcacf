"""The labeled images the image model is trained and evaluated on: MVSA-Single (tweet images with
their text, post-level labels), OASIS (photos rated for valence) and Memotion 7k (memes with their
text), read where they live beside the checkout (never copied). Each README is in its folder."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from sentiment_platform.lib.scoring.fitting.datasets import SHARED_DATASETS
from sentiment_platform.lib.scoring.labels import LABELS

DEFAULT_MVSA_DIR = SHARED_DATASETS / "mvsa_single"
DEFAULT_OASIS_DIR = SHARED_DATASETS / "oasis"
DEFAULT_MEMOTION_DIR = SHARED_DATASETS / "memotion7k"
#: None of the sets has a split of its own here: a stratified one, the same on every machine.
VAL_SHARE, SPLIT_SEED = 0.2, 2016


@dataclass(frozen=True)
class LabeledImages:
    """Image files with labels (0 negative, 1 neutral, 2 positive), the post's or meme's text where
    there is one, and OASIS's mean valence (1-7) where rated."""

    paths: list[Path]
    labels: list[int]
    texts: list[str]
    valence: list[float] | None = None

    def __len__(self) -> int:
        return len(self.paths)

    def subset(self, rows: list[int]) -> LabeledImages:
        return LabeledImages(
            [self.paths[i] for i in rows],
            [self.labels[i] for i in rows],
            [self.texts[i] for i in rows],
            [self.valence[i] for i in rows] if self.valence is not None else None,
        )


def _rows(folder: Path) -> list[dict[str, str]]:
    path = folder / "labels.csv"
    if not path.exists():
        raise FileNotFoundError(f"no labels.csv under {folder}")
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return list(csv.DictReader(handle))


def _read(folder: str | Path, valence: bool = False) -> LabeledImages:
    folder = Path(folder)
    rows = [row for row in _rows(folder) if row["label"] in LABELS and (folder / "images" / row["filename"]).exists()]
    return LabeledImages(
        [folder / "images" / row["filename"] for row in rows],
        [LABELS.index(row["label"]) for row in rows],
        [row.get("text") or "" for row in rows],
        [float(row["valence_mean_1to7"]) for row in rows] if valence else None,
    )


def stratified_split(labels: list[int], val_share: float, seed: int) -> tuple[list[int], list[int]]:
    """Row indices of train and val: ``val_share`` of each class in val, shuffled by ``seed``."""
    rng = random.Random(seed)
    train, val = [], []
    for label in sorted(set(labels)):
        rows = [i for i, y in enumerate(labels) if y == label]
        rng.shuffle(rows)
        cut = round(len(rows) * val_share)
        val += rows[:cut]
        train += rows[cut:]
    return sorted(train), sorted(val)


def _split(data: LabeledImages) -> dict[str, LabeledImages]:
    train, val = stratified_split(data.labels, VAL_SHARE, SPLIT_SEED)
    return {"train": data.subset(train), "val": data.subset(val)}


def load_mvsa(folder: str | Path = DEFAULT_MVSA_DIR) -> dict[str, LabeledImages]:
    """MVSA-Single as ``train`` and ``val`` (stratified, fixed seed)."""
    return _split(_read(folder))


def load_oasis(folder: str | Path = DEFAULT_OASIS_DIR) -> dict[str, LabeledImages]:
    """OASIS as ``train`` and ``val``, each photo with its label and mean valence."""
    return _split(_read(folder, valence=True))


def load_memotion(folder: str | Path = DEFAULT_MEMOTION_DIR) -> dict[str, LabeledImages]:
    """Memotion 7k as ``train`` and ``val``, each meme with its label and its text."""
    return _split(_read(folder))
