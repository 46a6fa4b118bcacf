"""The report's charts (Altair, saved as HTML and PNG) and word clouds, from warehouse tables."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl

COLOURS = alt.Scale(domain=["negative", "neutral", "positive"], range=["#d62728", "#9e9e9e", "#2ca02c"])
STOPWORDS = frozenset(
    """a an and are as at be but by for from has have i i'm im in is it it's its just me my of on or so
that the this to was we were will with you your our they them their he she his her not no yes do does did
http user rt amp via what who how when all about out up get got can more than then there here been would
could should us if into over after new one like""".split()
)


#: Characters that could end the ``<script>`` a chart's spec is written into, or start markup there.
_UNSAFE_IN_SCRIPT = re.compile("[<>&\u2028\u2029]")
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class ScriptSafeJSON(json.JSONEncoder):
    """JSON that is safe inside an HTML ``<script>``: ``<``, ``>``, ``&`` and the JavaScript line
    separators are written as ``\\uXXXX`` escapes, so a topic such as ``</script><script>...`` stays
    a string in the spec (and shows as that text) instead of closing the script around it."""

    def iterencode(self, o: Any, _one_shot: bool = False):
        for chunk in super().iterencode(o, _one_shot):
            yield _UNSAFE_IN_SCRIPT.sub(lambda match: _SCRIPT_UNSAFE[match.group()], chunk)


def save_chart_html(chart: alt.TopLevelMixin, path: Path) -> None:
    """``chart`` as a standalone HTML page (Vega inlined, no network), its data escaped for the page."""
    chart.save(str(path), format="html", inline=True, json_kwds={"cls": ScriptSafeJSON})


def _windows(trends: pl.DataFrame) -> pl.DataFrame:
    """All topics of each 15-minute window combined."""
    return (
        trends.group_by("window_start")
        .agg(
            pl.col("posts", "positive", "neutral", "negative").sum(),
            (
                (pl.col("mean_score") * (pl.col("positive") + pl.col("neutral") + pl.col("negative"))).sum()
                / (pl.col("positive") + pl.col("neutral") + pl.col("negative")).sum()
            ).alias("mean_score"),
        )
        .sort("window_start")
    )


def share_over_time(trends: pl.DataFrame) -> alt.Chart:
    """Stacked area: share of each sentiment per 15-minute window."""
    long = _windows(trends).unpivot(
        index="window_start", on=["negative", "neutral", "positive"], variable_name="sentiment", value_name="count"
    )
    return (
        alt.Chart(long.to_pandas(), title="Sentiment share per 15 minutes")
        .mark_area()
        .encode(
            x=alt.X("window_start:T", title="window (UTC)"),
            y=alt.Y("count:Q", stack="normalize", title="share of posts", axis=alt.Axis(format="%")),
            # Below the plot: a legend at the side is cut off in narrow previews.
            color=alt.Color("sentiment:N", scale=COLOURS, legend=alt.Legend(orient="bottom")),
            tooltip=["window_start:T", "sentiment:N", "count:Q"],
        )
        .properties(width=760, height=260)
    )


def score_with_volume(trends: pl.DataFrame) -> alt.LayerChart:
    """Bars of post volume with the mean score as a line, on independent axes."""
    data = _windows(trends).to_pandas()
    base = alt.Chart(data, title="Mean sentiment score and volume").encode(
        x=alt.X("window_start:T", title="window (UTC)")
    )
    bars = base.mark_bar(opacity=0.35, color="#4c78a8", size=max(2, min(24, 700 // max(len(data), 1) - 2))).encode(
        y=alt.Y("posts:Q", title="posts")
    )
    line = base.mark_line(color="#e45756", strokeWidth=2).encode(
        y=alt.Y("mean_score:Q", title="mean score (p_pos - p_neg)", scale=alt.Scale(domain=[-1, 1]))
    )
    return alt.layer(bars, line).resolve_scale(y="independent").properties(width=760, height=260)


def top_hashtags(hashtags: pl.DataFrame, limit: int = 20, min_posts: int = 5) -> alt.Chart:
    """Diverging bars: mean score of the most used hashtags of the period."""
    data = (
        hashtags.group_by("hashtag")
        .agg(
            pl.col("posts").sum(),
            ((pl.col("mean_score") * pl.col("posts")).sum() / pl.col("posts").sum()).alias("mean_score"),
        )
        .filter(pl.col("posts") >= min_posts)
        .sort("posts", descending=True)
        .head(limit)
        .with_columns(
            pl.when(pl.col("mean_score") >= 0).then(pl.lit("positive")).otherwise(pl.lit("negative")).alias("sign")
        )
    )
    return (
        alt.Chart(data.to_pandas(), title=f"Top {limit} hashtags by volume: mean score")
        .mark_bar()
        .encode(
            x=alt.X("mean_score:Q", title="mean score", scale=alt.Scale(domain=[-1, 1])),
            y=alt.Y("hashtag:N", sort="-x", title=None),
            color=alt.Color(
                "sign:N", scale=alt.Scale(domain=["negative", "positive"], range=["#d62728", "#2ca02c"]), legend=None
            ),
            tooltip=["hashtag:N", "posts:Q", alt.Tooltip("mean_score:Q", format=".3f")],
        )
        .properties(width=760, height=18 * max(len(data), 1))
    )


def text_vs_image(trends: pl.DataFrame) -> alt.Chart:
    """Per topic: mean text score of all posts next to mean image score of image-bearing posts."""
    labeled = pl.col("positive") + pl.col("neutral") + pl.col("negative")
    data = (
        trends.group_by("topic")
        .agg(
            ((pl.col("mean_score") * labeled).sum() / labeled.sum()).alias("text"),
            (
                (pl.col("mean_image_score").fill_null(0) * pl.col("image_posts")).sum() / pl.col("image_posts").sum()
            ).alias("image"),
        )
        .unpivot(index="topic", on=["text", "image"], variable_name="source", value_name="mean_score")
    )
    return (
        alt.Chart(data.to_pandas(), title="Text vs image sentiment by topic")
        .mark_bar()
        .encode(
            x=alt.X("topic:N", title=None),
            xOffset="source:N",
            y=alt.Y("mean_score:Q", title="mean score", scale=alt.Scale(domain=[-1, 1])),
            color=alt.Color("source:N", scale=alt.Scale(domain=["text", "image"], range=["#4c78a8", "#f58518"])),
            tooltip=["topic:N", "source:N", alt.Tooltip("mean_score:Q", format=".3f")],
        )
        .properties(width=760, height=260)
    )


def share_by_language(by_language: pl.DataFrame) -> alt.Chart:
    """Per language, most posts first: the share of each sentiment, and of posts no model covers."""
    categories = ["negative", "neutral", "positive", "unsupported"]
    data = (
        by_language.group_by("lang")
        .agg(pl.col(categories).sum(), pl.col("posts").sum())
        .sort("posts", descending=True)
        .unpivot(index=["lang", "posts"], on=categories, variable_name="sentiment", value_name="count")
    )
    scale = alt.Scale(domain=categories, range=["#d62728", "#9e9e9e", "#2ca02c", "#ffbf00"])
    return (
        alt.Chart(data.to_pandas(), title="Sentiment share by language (unsupported: no model covers it)")
        .mark_bar()
        .encode(
            y=alt.Y("lang:N", sort=alt.SortField("posts", order="descending"), title="language"),
            x=alt.X("count:Q", stack="normalize", title="share of posts", axis=alt.Axis(format="%")),
            color=alt.Color("sentiment:N", scale=scale),
            tooltip=["lang:N", "sentiment:N", "count:Q", "posts:Q"],
        )
        .properties(width=760, height=22 * max(data["lang"].n_unique(), 1))
    )


def score_by_language(by_language: pl.DataFrame, languages: int = 6) -> alt.Chart:
    """Mean score per hour of the most used languages, one line each."""
    labeled = pl.col("positive") + pl.col("neutral") + pl.col("negative")
    top = by_language.group_by("lang").agg(pl.col("posts").sum()).sort("posts", descending=True).head(languages)
    data = (
        by_language.filter(pl.col("lang").is_in(top["lang"].implode()))
        .group_by(pl.col("window_start").dt.truncate("1h").alias("hour"), "lang")
        .agg(((pl.col("mean_score").fill_null(0) * labeled).sum() / labeled.sum()).alias("mean_score"))
        .sort("hour", "lang")
    )
    return (
        alt.Chart(data.to_pandas(), title=f"Mean score per hour, {languages} most used languages")
        .mark_line(point=True)
        .encode(
            x=alt.X("hour:T", title="hour (UTC)"),
            y=alt.Y("mean_score:Q", title="mean score", scale=alt.Scale(domain=[-1, 1])),
            color=alt.Color("lang:N", title="language"),
            tooltip=["hour:T", "lang:N", alt.Tooltip("mean_score:Q", format=".3f")],
        )
        .properties(width=760, height=260)
    )


def word_frequencies(texts: list[str]) -> Counter:
    """Word counts of texts, lower-cased, without stop words, mentions, links and short tokens."""
    counts: Counter = Counter()
    for text in texts:
        for word in re.findall(r"[#a-z][a-z'#]{2,}", text.lower()):
            if word not in STOPWORDS:
                counts[word] += 1
    return counts


def word_cloud_png(frequencies: Counter, colour: str, path: Path) -> bool:
    """Draw a word cloud of ``frequencies`` in ``colour`` to ``path``; False if there are no words."""
    if not frequencies:
        return False
    from wordcloud import WordCloud

    cloud = WordCloud(
        width=640, height=320, background_color="white", color_func=lambda *a, **k: colour, random_state=7, max_words=80
    ).generate_from_frequencies(frequencies)
    cloud.to_file(str(path))
    return True
