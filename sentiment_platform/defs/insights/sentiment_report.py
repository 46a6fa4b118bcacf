"""Group ``insights``: the sentiment report (charts and word clouds) over the latest hours."""

import base64
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import polars as pl
from dagster import (
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from sentiment_platform.defs.automation import REPORT_REFRESH
from sentiment_platform.lib import warehouse_schema as tables
from sentiment_platform.lib.charts import (
    save_chart_html,
    score_by_language,
    score_with_volume,
    share_by_language,
    share_over_time,
    text_vs_image,
    top_hashtags,
    word_cloud_png,
    word_frequencies,
)
from sentiment_platform.resources.warehouse import Warehouse

CLOUD_COLOURS = {"negative": "#b71c1c", "neutral": "#616161", "positive": "#1b5e20"}


class ReportConfig(Config):
    hours: int = Field(default=48, description="How many hours, up to the latest window, the report covers.")
    reports_dir: str = Field(default="data/reports", description="Folder the report is written to.")


def report_tables(warehouse: Warehouse, hours: int) -> dict[str, pl.DataFrame]:
    """The warehouse rows of the latest ``hours`` the report charts."""
    latest = warehouse.query(f"SELECT max(window_start) AS latest FROM {tables.SENTIMENT_TRENDS}")["latest"][0]
    if latest is None:
        raise ValueError(f"{tables.SENTIMENT_TRENDS} is empty; materialize it for at least one hour first")
    since = latest - timedelta(hours=hours) + timedelta(minutes=15)
    return {
        "trends": warehouse.query(f"SELECT * FROM {tables.SENTIMENT_TRENDS} WHERE window_start >= $1", [since]),
        "by_language": warehouse.query(f"SELECT * FROM {tables.LANGUAGE_TRENDS} WHERE window_start >= $1", [since]),
        "hashtags": warehouse.query(f"SELECT * FROM {tables.HASHTAG_TRENDS} WHERE hour >= $1", [since]),
        "posts": warehouse.query(
            f"SELECT sentiment, text FROM {tables.POSTS} WHERE created_at >= $1 AND sentiment IS NOT NULL", [since]
        ),
    }


def write_report(folder: Path, tables: dict[str, pl.DataFrame], covered: str) -> list[str]:
    """The charts (HTML and PNG), the word clouds and ``index.html`` in ``folder``; returns the images."""
    trends, by_language = tables["trends"], tables["by_language"]
    charts = {
        "sentiment_share": share_over_time(trends),
        "score_and_volume": score_with_volume(trends),
        "top_hashtags": top_hashtags(tables["hashtags"]),
        "text_vs_image": text_vs_image(trends),
        "sentiment_by_language": share_by_language(by_language),
        "score_by_language": score_by_language(by_language),
    }
    for name, chart in charts.items():
        save_chart_html(chart, folder / f"{name}.html")
        chart.save(str(folder / f"{name}.png"), scale_factor=1.5)
    posts, clouds = tables["posts"], {}
    for label, colour in CLOUD_COLOURS.items():
        texts = posts.filter(posts["sentiment"] == label)["text"].to_list()
        if word_cloud_png(word_frequencies(texts), colour, folder / f"words_{label}.png"):
            clouds[label] = f"words_{label}.png"
    items = [f'<h2>{name.replace("_", " ")}</h2><img src="{name}.png">' for name in charts]
    items += [f'<h2>words: {label}</h2><img src="{file}">' for label, file in clouds.items()]
    (folder / "index.html").write_text(
        f"<html><head><meta charset='utf-8'><title>Sentiment report</title></head><body>"
        f"<h1>Sentiment report: {covered}</h1>" + "".join(items) + "</body></html>",
        encoding="utf-8",
    )
    return sorted(f"{name}.png" for name in charts) + sorted(clouds.values())


def swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` with the finished ``staging`` folder, so a reader never sees half of it."""
    previous = target.with_name(f".{target.name}-old")
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        target.rename(previous)
    staging.rename(target)
    shutil.rmtree(previous, ignore_errors=True)


@asset(
    deps=["sentiment_trends_15m", "language_trends_15m", "hashtag_trends", "warehouse_posts"],
    group_name="insights",
    kinds={"altair", "html"},
    automation_condition=REPORT_REFRESH,
)
def sentiment_report(context: AssetExecutionContext, config: ReportConfig, warehouse: Warehouse) -> MaterializeResult:
    """Charts of the latest hours (HTML and PNG under ``data/reports/sentiment_report/``): sentiment
    share over time, mean score with volume, top hashtags by score, text vs image sentiment, the
    sentiment share and the mean score by language, and a word cloud per sentiment class."""
    tables = report_tables(warehouse, config.hours)
    trends = tables["trends"]
    # The hours the report actually covers (the data may start after the look-back).
    first, last = trends["window_start"].min(), trends["window_start"].max() + timedelta(minutes=15)
    covered = f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC"
    target = Path(config.reports_dir) / "sentiment_report"
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".sentiment_report-", dir=target.parent))
    images = write_report(staging, tables, covered)
    swap_in(staging, target)
    preview = base64.b64encode((target / "sentiment_share.png").read_bytes()).decode()
    return MaterializeResult(
        metadata={
            "report": MetadataValue.path(str((target / "index.html").resolve())),
            "preview": MetadataValue.md(
                f"**Sentiment share, {covered}**\n\n![sentiment share](data:image/png;base64,{preview})"
            ),
            "covers": covered,
            "windows": trends["window_start"].n_unique(),
            "posts": int(trends["posts"].sum()),
            "hashtags": tables["hashtags"]["hashtag"].n_unique(),
            "languages": tables["by_language"]["lang"].n_unique(),
            "word_clouds": sum(1 for image in images if image.startswith("words_")),
            "charts": MetadataValue.json(images),
        }
    )
