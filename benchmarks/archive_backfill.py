"""A labeled archive from 2015 imported and backfilled by the daemon, as the README says; its time and
how the warehouse's figures compare with the labels.

Run: python benchmarks/archive_backfill.py [--days 7] [--keep DIR]

The archive is TweetEval's test split (12,284 English tweets with human labels; used for reporting
only, never for fitting or choosing anything), written as a brand-monitoring CSV export: an id, one
of four brands (each brand drawn with its own share of negative, neutral and positive tweets, so
the brands differ), the text (5% with X's HTML entities), and a local Los Angeles time without an
offset, spread over --days days from 2015-02-16. Then, in a fresh lake, warehouse and instance:

    SENTIMENT_PARTITIONS_START=2015-02-01 SENTIMENT_SOURCE=landing
    sentiment-platform import archive.csv --format csv --map ... --time-format ... --timezone America/Los_Angeles
    dagster-daemon run -m sentiment_platform.definitions   (the daemon that `dagster dev` runs)
    sentiment-platform backfill --start ... --end ...       (the command the import printed)

Prints the backfill's wall time beside its target (< 10 minutes for 168 hours here), and: posts
in the warehouse against distinct tweets (none lost but by the retweet rule), post-level macro
recall against the labels (target >= 0.72), the mean absolute error of the daily negative share per
brand in sentiment_trends_15m against the labels' (target <= 0.05), and the brands' ranking by
negative share, both ways.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

DATASET = Path(
    os.environ.get("SENTIMENT_DATASET_DIR", Path(__file__).parents[2] / "shared/datasets/tweeteval_sentiment")
)
LABELS = ("negative", "neutral", "positive")
#: Each brand's chance of drawing a tweet of each label (negative, neutral, positive).
BRANDS = {
    "aurora air": (0.6, 0.25, 0.15),
    "bluejet": (0.3, 0.4, 0.3),
    "cirrus": (0.15, 0.45, 0.4),
    "delta wing": (0.45, 0.35, 0.2),
}
TARGET_SECONDS, TARGET_RECALL, TARGET_MAE = 600, 0.72, 0.05


def write_archive(path: Path, days: int) -> None:
    texts = (DATASET / "test_text.txt").read_text().splitlines()
    labels = [LABELS[int(value)] for value in (DATASET / "test_labels.txt").read_text().split()]
    rng = random.Random(3)
    start = datetime(2015, 2, 16)
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["tweet_id", "brand", "text", "tweet_created", "label"])
        for number, (text, label) in enumerate(zip(texts, labels)):
            brand = rng.choices(list(BRANDS), [BRANDS[b][LABELS.index(label)] for b in BRANDS])[0]
            if rng.random() < 0.05:
                text = text.replace("&", "&amp;")
            when = start + timedelta(seconds=rng.randrange(days * 86400))
            writer.writerow([5_600_000_000_000_000 + number, brand, text, when.strftime("%m/%d/%Y %H:%M:%S"), label])


def evaluate(archive: Path, warehouse: Path) -> None:
    labeled = pl.read_csv(archive, schema_overrides={"tweet_id": pl.String})
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        posts = connection.sql("SELECT post_id, created_at, topic, post_label FROM posts").pl()
        trends = connection.sql(
            "SELECT CAST(window_start AT TIME ZONE 'UTC' AS DATE) AS day, topic, "
            "sum(negative)::DOUBLE / sum(posts) AS share FROM sentiment_trends_15m GROUP BY ALL"
        ).pl()
    retweets = labeled.filter(pl.col("text").str.starts_with("RT @"))["tweet_id"].n_unique()
    print(
        f"posts in the warehouse: {posts.height} ({posts['post_id'].n_unique()} distinct) of "
        f"{labeled['tweet_id'].n_unique()} distinct tweets, {retweets} of them retweets (not kept)"
    )
    joined = labeled.join(posts, left_on="tweet_id", right_on="post_id")
    recalls = [(joined.filter(pl.col("label") == label)["post_label"] == label).mean() for label in LABELS]
    print(
        f"post-level macro recall: {sum(recalls) / 3:.3f} (target >= {TARGET_RECALL}); per class "
        + ", ".join(f"{label} {value:.3f}" for label, value in zip(LABELS, recalls))
    )
    truth = joined.group_by(pl.col("created_at").dt.date().alias("day"), "topic").agg(
        (pl.col("label") == "negative").mean().alias("true_share"), pl.len().alias("tweets")
    )
    compared = trends.join(truth, on=["day", "topic"])
    mae = (compared["share"] - compared["true_share"]).abs().mean()
    bias = (compared["share"] - compared["true_share"]).mean()
    print(
        f"daily negative share per brand: MAE {mae:.3f} (target <= {TARGET_MAE}), mean error {bias:+.3f}, "
        f"over {compared.height} brand-days"
    )
    overall = compared.group_by("topic").agg(
        (pl.col("share") * pl.col("tweets")).sum() / pl.col("tweets").sum(),
        (pl.col("true_share") * pl.col("tweets")).sum() / pl.col("tweets").sum(),
    )
    print("brands by negative share, warehouse:", overall.sort("share")["topic"].to_list())
    print("brands by negative share, labels:   ", overall.sort("true_share")["topic"].to_list())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="archive-backfill-"))
    (work / "dagster_home").mkdir(parents=True, exist_ok=True)
    archive = work / "archive.csv"
    write_archive(archive, args.days)
    env = {
        **os.environ,
        "SENTIMENT_PARTITIONS_START": "2015-02-01",
        "SENTIMENT_SOURCE": "landing",
        "SENTIMENT_LAKE_ROOT": str(work / "lake"),
        "SENTIMENT_WAREHOUSE_PATH": str(work / "warehouse.duckdb"),
        "SENTIMENT_MODEL_CACHE_DIR": str(work / "models"),
        "DAGSTER_HOME": str(work / "dagster_home"),
        "COLUMNS": "250",
    }
    bin_dir = Path(sys.executable).parent
    imported = subprocess.run(
        [
            str(bin_dir / "sentiment-platform"),
            "import",
            str(archive),
            "--format",
            "csv",
            "--map",
            "id=tweet_id,topic=brand,text=text,created_at=tweet_created",
            "--time-format",
            "%m/%d/%Y %H:%M:%S",
            "--timezone",
            "America/Los_Angeles",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    print(imported.stdout.strip())
    printed = re.search(r"backfill --start (\S+) --end (\S+)", imported.stdout)
    daemon = subprocess.Popen(
        [str(bin_dir / "dagster-daemon"), "run", "-m", "sentiment_platform.definitions"],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        started = time.perf_counter()
        backfill = subprocess.run(
            [str(bin_dir / "sentiment-platform"), "backfill", "--start", printed.group(1), "--end", printed.group(2)],
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
    print(backfill.stdout.strip().splitlines()[-1] if backfill.stdout.strip() else backfill.stderr)
    hours = datetime.strptime(printed.group(2), "%Y-%m-%d-%H:%M") - datetime.strptime(
        printed.group(1), "%Y-%m-%d-%H:%M"
    )
    print(
        f"backfill of {int(hours.total_seconds() // 3600) + 1} hours by the daemon: {seconds:.0f} s "
        f"(target < {TARGET_SECONDS} s for 168 hours, no images)"
    )
    evaluate(archive, work / "warehouse.duckdb")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    from results_page import results_page

    with results_page(__file__):
        main()
