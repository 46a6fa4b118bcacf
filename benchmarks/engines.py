"""The heavy-partition path on both engines: cleansing + scoring + 15-minute trends of one hour of
1,000,000 and 5,000,000 posts, Polars/DuckDB in one process against Spark in local mode.

Run: python benchmarks/engines.py [--sizes 1000000 5000000] [--backend minilm]

The hour is mock-feed posts (duplicates, retweets, malformed records included) repeated with fresh
ids, landed as files of 50,000 lines in a fresh local lake. Each engine runs in its own process with
an empty score cache; peak memory is the highest summed RSS of that process and all its children
(the Spark JVM and its Python workers included), sampled every 0.2 s. The texts repeat across the
copies, so each distinct text is scored once (the score cache's job) and the model sees only the
distinct ones: the scoring figures measure the pipeline around the model more than the model.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

HOUR = datetime(2026, 11, 20, 13, tzinfo=UTC)
LINES_PER_FILE = 50_000


def land(root: str, posts: int) -> int:
    """Land ``posts`` posts for HOUR under ``root``; returns the bytes landed."""
    from cleansing import build_hour

    from sentiment_platform.lib.lake_layout import landing_prefix
    from sentiment_platform.lib.lake_store import LocalLakeStore

    lake = LocalLakeStore(root)
    lines = build_hour(posts).splitlines()
    total = 0
    for index in range(0, len(lines), LINES_PER_FILE):
        data = b"\n".join(lines[index : index + LINES_PER_FILE]) + b"\n"
        lake.write_bytes(f"{landing_prefix('posts', HOUR)}batch-{index // LINES_PER_FILE:04d}.jsonl", data)
        total += len(data)
    return total


class PeakMemory:
    """Highest RSS of this process plus all its descendants, sampled in a thread."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for process in [self._process, *self._process.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.2)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


def _stored(lake, dataset: str) -> dict:
    """The benchmark hour's one object of ``dataset``, as the Spark jobs take their inputs."""
    from sentiment_platform.lib.lake_layout import dataset_key

    key = dataset_key(dataset, HOUR)
    return {HOUR: [obj for obj in lake.iter_objects(key.rsplit("/", 1)[0] + "/") if obj.key == key]}


def _pipeline(engine: str, root: str, backend: str, queue) -> None:
    import polars as pl

    from sentiment_platform.lib.cleansing.cleaning import clean_posts
    from sentiment_platform.lib.enrichment import enrich_posts
    from sentiment_platform.lib.lake_layout import dataset_key, landing_prefix
    from sentiment_platform.lib.lake_store import LocalLakeStore
    from sentiment_platform.lib.scoring.post_fusion import DEFAULT_POST_FUSION, PostFusion
    from sentiment_platform.lib.scoring.text.score_cache import ScoreCache
    from sentiment_platform.lib.scoring.text.text_scoring import score_text_values
    from sentiment_platform.lib.trends import sentiment_trends_15m
    from sentiment_platform.resources.scorers import TextScorer
    from sentiment_platform.resources.spark_engine import SparkEngine

    memory = PeakMemory()
    lake = LocalLakeStore(root)
    scorer = TextScorer(backend=backend)
    model = scorer.load()
    cache = ScoreCache(model.fingerprint)
    no_images = pl.DataFrame(
        schema={
            "image_key": pl.String,
            "post_ids": pl.List(pl.String),
            "status": pl.String,
            "label": pl.String,
            "score": pl.Float32,
        }
    )
    no_users = pl.DataFrame(
        schema={
            "user_id": pl.String,
            "handle": pl.String,
            "location": pl.String,
            "followers_count": pl.Int64,
            "language": pl.String,
        }
    )
    spark = SparkEngine(master="local[*]", driver_memory="8g", spark_config={"spark.driver.maxResultSize": "0"})
    stages: dict[str, float] = {}
    started = time.perf_counter()
    if engine == "spark":
        from sentiment_platform.lib.spark.cleansing_job import clean_posts_spark
        from sentiment_platform.lib.spark.scoring_job import score_posts_spark
        from sentiment_platform.lib.spark.trends_job import trends_15m_spark

        session = spark.spark_session
        stages["start"] = time.perf_counter() - started
    mark = time.perf_counter()
    landed = {HOUR: [o for o in lake.iter_objects(landing_prefix("posts", HOUR))]}
    if engine == "spark":
        cleaned = clean_posts_spark(session, lake, landed)[HOUR]
    else:
        cleaned = clean_posts([(o.key, lake.read_bytes(o.key)) for o in landed[HOUR]])
    lake.write_parquet(dataset_key("cleaned_posts", HOUR), cleaned.cleaned)
    stages["cleanse"] = time.perf_counter() - mark

    mark = time.perf_counter()
    if engine == "spark":
        load = scorer.model_load(threads=spark.task_threads)
        scores, counts = score_posts_spark(session, lake, _stored(lake, "cleaned_posts"), model, load, cache)[HOUR]
    else:
        posts = cleaned.cleaned.select("post_id", "created_at", "topic", "text")
        frame, counts = score_text_values(posts["text"].to_list(), model, cache)
        scores = pl.concat([posts.drop("text"), frame], how="horizontal")
    lake.write_parquet(dataset_key("post_sentiment", HOUR), scores)
    stages["score"] = time.perf_counter() - mark

    mark = time.perf_counter()
    fusion = PostFusion.load(DEFAULT_POST_FUSION)
    enriched = enrich_posts(cleaned.cleaned, scores, no_images, no_users, fusion)
    lake.write_parquet(dataset_key("enriched_posts", HOUR), enriched)
    stages["enrich"] = time.perf_counter() - mark

    mark = time.perf_counter()
    if engine == "spark":
        trends = trends_15m_spark(session, lake, _stored(lake, "enriched_posts"))
    else:
        trends = sentiment_trends_15m(lake.read_parquet(dataset_key("enriched_posts", HOUR)))
    stages["trends"] = time.perf_counter() - mark
    seconds = time.perf_counter() - started
    queue.put(
        {
            "engine": engine,
            "seconds": seconds,
            "stages": stages,
            "peak_mib": memory.stop(),
            "records_in": cleaned.records_in,
            "cleaned": cleaned.cleaned.height,
            "distinct_texts": counts["distinct_texts"],
            "model_calls": counts["model_calls"],
            "trend_rows": trends.height,
            "trend_posts": int(trends["posts"].sum()),
        }
    )


def measure(engine: str, landing_root: str, backend: str) -> dict:
    """Run the pipeline on a fresh copy of the landed lake in a new process."""
    with tempfile.TemporaryDirectory() as folder:
        root = str(Path(folder) / "lake")
        shutil.copytree(landing_root, root)
        context = mp.get_context("spawn")
        queue = context.Queue()
        process = context.Process(target=_pipeline, args=(engine, root, backend, queue))
        process.start()
        process.join()
        if process.exitcode != 0 or queue.empty():
            return {"engine": engine, "failed": f"exit code {process.exitcode}"}
        return queue.get()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--backend", default="minilm", help="text scorer backend (minilm, vader)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; text backend {args.backend}")
    rows = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            landed = land(folder, size)
            print(
                f"\nlanded {size:,} posts ({landed / 2**20:,.0f} MiB) in {time.perf_counter() - started:.0f}s",
                flush=True,
            )
            for engine in ("local", "spark"):
                result = measure(engine, folder, args.backend)
                rows.append((size, result))
                print(result, flush=True)
    print(f"\n{'posts':>10} {'engine':<7} {'total s':>8} {'posts/s':>9} {'peak MiB':>9}  stages (s)")
    for size, r in rows:
        if "failed" in r:
            print(f"{size:>10,} {r['engine']:<7} failed: {r['failed']}")
            continue
        stages = " ".join(f"{name}={value:.1f}" for name, value in r["stages"].items())
        print(
            f"{size:>10,} {r['engine']:<7} {r['seconds']:8.1f} {size / r['seconds']:9,.0f} "
            f"{r['peak_mib']:9,.0f}  {stages}"
        )
    for size in args.sizes:
        local, spark = (next(r for s, r in rows if s == size and r["engine"] == e) for e in ("local", "spark"))
        if "failed" not in local and "failed" not in spark:
            same = all(local[k] == spark[k] for k in ("records_in", "cleaned", "trend_rows", "trend_posts"))
            print(
                f"{size:,} posts: Spark/local time {spark['seconds'] / local['seconds']:.2f}x, "
                f"memory {spark['peak_mib'] / local['peak_mib']:.2f}x; same counts: {same}"
            )


if __name__ == "__main__":
    from results_page import results_page

    with results_page(__file__):
        main()
