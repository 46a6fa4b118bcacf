from datetime import timedelta

import pytest
from dagster import materialize
from PIL import Image

from sentiment_platform.defs.insights.sentiment_report import (
    ReportConfig,
    sentiment_report,
)
from sentiment_platform_tests.conftest import HOURS

pytestmark = pytest.mark.materialize


def test_report_writes_html_and_png_charts_and_word_clouds(built, tmp_path):
    config = ReportConfig(reports_dir=str(tmp_path / "reports"))
    result = materialize(
        [sentiment_report],
        resources={"warehouse": built["warehouse"]},
        run_config={"ops": {"sentiment_report": {"config": config.model_dump()}}},
    )
    assert result.success
    meta = {
        k: v.value
        for k, v in result.get_asset_materialization_events()[
            0
        ].step_materialization_data.materialization.metadata.items()
    }
    folder = tmp_path / "reports" / "sentiment_report"
    charts = ("sentiment_share", "score_and_volume", "top_hashtags", "text_vs_image")
    for name in (*charts, "sentiment_by_language", "score_by_language"):
        assert (folder / f"{name}.html").read_text().count("vega") > 0
        with Image.open(folder / f"{name}.png") as image:
            assert image.width > 400 and image.height > 150
            # A real chart, not a blank canvas: many distinct colours.
            assert len(image.convert("RGB").getcolors(1_000_000)) > 20
    assert meta["word_clouds"] == 3 and meta["languages"] >= 9
    by_language = (folder / "sentiment_by_language.html").read_text()
    assert all(f'"lang": "{code}"' in by_language for code in ("en", "ar", "ja", "hi", "bo"))
    for label in ("negative", "neutral", "positive"):
        assert (folder / f"words_{label}.png").stat().st_size > 10_000
    # The heading names the hours the data covers (three), not the 48 the report may span.
    covered = f"{HOURS[0]:%Y-%m-%d %H:%M} to {HOURS[-1] + timedelta(hours=1):%Y-%m-%d %H:%M} UTC"
    assert meta["windows"] == 12 and meta["covers"] == covered
    assert meta["preview"].startswith(f"**Sentiment share, {covered}**\n\n![sentiment share](data:image/png;base64,")
    index = (folder / "index.html").read_text()
    assert "words_positive.png" in index and f"<h1>Sentiment report: {covered}</h1>" in index
    # Re-running replaces the report in place.
    assert materialize(
        [sentiment_report],
        resources={"warehouse": built["warehouse"]},
        run_config={"ops": {"sentiment_report": {"config": config.model_dump()}}},
    ).success
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["sentiment_report"]
