"""The evaluation's figures as Markdown tables (the Dagster UI renders them in the metadata)."""

from __future__ import annotations

from sentiment_platform.lib.scoring.labels import LABELS


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table of ``rows`` under ``header``."""
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in rows)])


def model_table(reports: list[dict]) -> str:
    """Macro recall, accuracy and each label's recall, a row per model."""
    return markdown_table(
        ["model", "macro recall", "accuracy", *(f"recall {label}" for label in LABELS)],
        [
            [
                r["model"],
                f"{r['macro_recall']:.4f}",
                f"{r['accuracy']:.4f}",
                *(f"{r['recall'][label]:.3f}" for label in LABELS),
            ]
            for r in reports
        ],
    )


def language_table(reports: list[dict]) -> str:
    """Mean macro F1 and recall over the languages and each language's F1, a row per backend."""
    codes = list(reports[0]["languages"])
    return markdown_table(
        ["backend", "mean macro F1", "mean macro recall", *(f"{code} F1" for code in codes)],
        [
            [
                r["model"],
                f"{r['mean_macro_f1']:.4f}",
                f"{r['mean_macro_recall']:.4f}",
                *(f"{r['languages'][code]['macro_f1']:.3f}" for code in codes),
            ]
            for r in reports
        ],
    )


def image_table(reports: list[dict]) -> str:
    """Each image backend on the val splits of MVSA, OASIS and Memotion."""
    return markdown_table(
        ["image backend", "MVSA val macro recall", "OASIS val Spearman", "Memotion val macro recall"],
        [
            [
                r["model"],
                f"{r['mvsa_macro_recall']:.4f}",
                f"{r['oasis_spearman']:.4f}",
                f"{r['memotion_macro_recall']:.4f}",
            ]
            for r in reports
        ],
    )
