"""Macro F1 per language and backend, as a grouped bar chart (Vega-Lite, rendered to PNG)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl


def language_f1_chart(reports: Sequence[dict]) -> alt.Chart:
    """One bar per (language, backend) from :func:`evaluate_by_language` reports."""
    rows = [
        {"language": code, "backend": report["model"], "macro F1": round(result["macro_f1"], 4)}
        for report in reports
        for code, result in report["languages"].items()
    ]
    return (
        alt.Chart(pl.DataFrame(rows).to_pandas())
        .mark_bar()
        .encode(
            x=alt.X("language:N", title=None),
            xOffset="backend:N",
            y=alt.Y("macro F1:Q", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("backend:N", legend=alt.Legend(orient="bottom", columns=2, labelLimit=400)),
            tooltip=["language", "backend", "macro F1"],
        )
        .properties(width=560, height=260, title="UMSAB val macro F1 by language")
    )


def language_f1_png(reports: Sequence[dict]) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(language_f1_chart(reports).to_json(), scale=2)
