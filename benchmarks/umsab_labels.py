"""How far UMSAB's labels follow the text, per language: the ceiling behind the per-language F1.

Run: python benchmarks/umsab_labels.py [--umsab-dir DIR]

Two measures on UMSAB (SENTIMENT_UMSAB_DIR or ../shared/datasets), each read beside English's:

- English model on English tweets: the English model as the default runs it (MiniLM, ONNX int8) on
  the tweets of each split that the language detector reads as English. Same model, same kind of
  text: where a split's labels follow the text as the English split's do, it scores about as high.
- n-gram CV: the classical pipeline's 3-fold cross-validated macro F1 on each language's train split
  alone, how much of the labels the words and characters of the text predict.

A language far below English on both is one whose labels the text does not carry, whatever the model.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np


def english_model_f1(model, texts: list[str], labels: list[int]) -> tuple[int, float | None]:
    """How many of ``texts`` are detected as English, and the English model's macro F1 on them."""
    from sklearn.metrics import f1_score

    from sentiment_platform.lib.cleansing.languages import detect_languages

    rows = [i for i, (code, _) in enumerate(detect_languages(texts)) if code == "en"]
    if len(rows) < 30:  # too few for a macro F1 worth printing
        return len(rows), None
    predicted = model.predict([texts[i] for i in rows])[0].argmax(axis=1)
    return len(rows), float(f1_score(np.asarray(labels)[rows], predicted, average="macro"))


def ngram_cv_f1(texts: list[str], labels: list[int]) -> float:
    """3-fold cross-validated macro F1 of the classical pipeline (default grid point) on one split."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    from sentiment_platform.lib.scoring.text.classical import classical_pipeline

    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    return float(cross_val_score(classical_pipeline(), texts, labels, cv=folds, scoring="f1_macro").mean())


def main() -> None:
    from sentiment_platform.lib.scoring.fitting.datasets import DEFAULT_UMSAB_DIR, load_umsab
    from sentiment_platform.resources.scorers import TextScorer

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--umsab-dir", default=os.environ.get("SENTIMENT_UMSAB_DIR", str(DEFAULT_UMSAB_DIR)))
    args = parser.parse_args()
    splits = {split: load_umsab(args.umsab_dir, split) for split in ("train", "val")}
    with tempfile.TemporaryDirectory() as cache_dir:
        model = TextScorer(backend="minilm", cache_dir=cache_dir).load()
        print(f"UMSAB from {args.umsab_dir}\n")
        print(f"{'language':<9} {'English tweets':>28} {'English model F1':>24} {'n-gram CV F1':>13}")
        print(f"{'':<9} {'train':>14} {'val':>13} {'train':>12} {'val':>11} {'train':>13}")
        for code in splits["train"]:
            counts, scores = [], []
            for parts in splits.values():
                count, score = english_model_f1(model, parts[code].texts, parts[code].labels)
                counts.append(count)
                scores.append(f"{score:.3f}" if score is not None else "-")
            cv = ngram_cv_f1(splits["train"][code].texts, splits["train"][code].labels)
            print(f"{code:<9} {counts[0]:14,} {counts[1]:13,} {scores[0]:>12} {scores[1]:>11} {cv:13.3f}")
    print("\n(baseline: the en row; chance macro F1 on these balanced splits is about 0.33)")


if __name__ == "__main__":
    from results_page import results_page

    with results_page(__file__):
        main()
