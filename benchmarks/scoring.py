"""Text scoring throughput and peak memory of the default backend against the naive baseline.

Run: python benchmarks/scoring.py [--posts 10000] [--naive-posts 2000]

Texts: the first N TweetEval test tweets (read from SENTIMENT_DATASET_DIR or ../shared/datasets).
Each mode runs in its own process (peak RSS is its own), with 2 threads:

- naive: the same model through a `transformers` pipeline (feature extraction + the trained head),
  called one post at a time, float32. It runs on the first --naive-posts texts (its rate does not
  depend on how many); set --naive-posts to --posts for the full run.
- torch-batched: the default model in float32 torch, length-bucketed batches of 32.
- default: the default backend as configured (ONNX Runtime, fused, int8), batches of 32.
- default-30%-dup: the default backend with the score cache on a stream where 30% of the posts
  repeat an earlier text (same size as --posts).

Macro recall on the scored texts is printed for each mode, to show what int8 costs in quality.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import resource
import tempfile
import time


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _texts(dataset_dir: str, posts: int) -> tuple[list[str], list[int]]:
    from sentiment_platform.lib.scoring.datasets import load_split

    test = load_split(dataset_dir, "test")
    return test.texts[:posts], test.labels[:posts]


def _naive_predict(texts: list[str]):
    import numpy as np
    import torch
    from transformers import pipeline

    from sentiment_platform.lib.scoring.encoder_model import (
        DEFAULT_WEIGHTS,
        EncoderSentiment,
        TrainedPart,
        load_encoder,
        load_tokenizer,
    )

    torch.set_num_threads(2)
    model = EncoderSentiment.build(TrainedPart.load(DEFAULT_WEIGHTS))
    frozen = len(model.bottom)
    encoder = load_encoder(frozen + len(model.top.layers))  # the model's depth
    for i, layer in enumerate(model.top.layers):  # the encoder with the trained top layers
        encoder.encoder.layer[frozen + i] = layer
    extract = pipeline("feature-extraction", model=encoder, tokenizer=load_tokenizer(), framework="pt")
    head = model.top.head
    probs = []
    with torch.inference_mode():
        for text in texts:
            hidden = torch.as_tensor(np.asarray(extract(text, truncation=True, max_length=128)[0], dtype=np.float32))
            logits = head(hidden.mean(dim=0)) + model.top.logit_bias
            probs.append(torch.softmax(logits, dim=-1).numpy())
    return np.stack(probs)


def _run(mode: str, dataset_dir: str, posts: int, naive_posts: int, cache_dir: str, queue) -> None:
    from sentiment_platform.lib.scoring.metrics import classification_report
    from sentiment_platform.lib.scoring.score_cache import ScoreCache
    from sentiment_platform.lib.scoring.text_scoring import (
        class_probabilities,
        score_text_values,
    )
    from sentiment_platform.resources.scorers import TextScorer

    texts, labels = _texts(dataset_dir, naive_posts if mode == "naive" else posts)
    if mode == "default-30%-dup":
        rng = random.Random(0)
        unique = texts[: int(len(texts) * 0.7)]
        stream = unique + [rng.choice(unique) for _ in range(len(texts) - len(unique))]
        labels = labels[: len(unique)] + [labels[unique.index(t)] for t in stream[len(unique) :]]
        rng.shuffle(order := list(range(len(stream))))
        texts, labels = [stream[i] for i in order], [labels[i] for i in order]
    if mode != "naive":
        # The English path (TweetEval is English): what the naive English baseline is compared with.
        runtime = "torch" if mode == "torch-batched" else "onnx-int8"
        model = TextScorer(backend="minilm", runtime=runtime, cache_dir=cache_dir).load()
        model.predict(["warm up"])
    before = _peak_rss_mib()
    started = time.perf_counter()
    if mode == "naive":
        probabilities = _naive_predict(texts)
    else:
        cache = ScoreCache(model.fingerprint) if mode == "default-30%-dup" else None
        frame, _ = score_text_values(texts, model, cache)
        probabilities = class_probabilities(frame)
    seconds = time.perf_counter() - started
    report = classification_report(labels, probabilities.argmax(axis=1))
    queue.put(
        {
            "mode": mode,
            "posts": len(texts),
            "seconds": seconds,
            "peak_mib": _peak_rss_mib(),
            "before_mib": before,
            "macro_recall": report["macro_recall"],
        }
    )


def _export(cache_dir: str) -> None:
    from sentiment_platform.resources.scorers import TextScorer

    TextScorer(backend="minilm", cache_dir=cache_dir).load()


def measure(mode: str, *args) -> dict:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run, args=(mode, *args, queue))
    process.start()
    process.join()
    if process.exitcode != 0 or queue.empty():
        raise RuntimeError(f"mode {mode} failed (exit code {process.exitcode})")
    return queue.get()


def main() -> None:
    from sentiment_platform.lib.scoring.datasets import DEFAULT_DATASET_DIR

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--naive-posts", type=int, default=2_000)
    parser.add_argument("--dataset-dir", default=os.environ.get("SENTIMENT_DATASET_DIR", str(DEFAULT_DATASET_DIR)))
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; TweetEval test texts from {args.dataset_dir}")
    with tempfile.TemporaryDirectory() as cache_dir:
        # Export the ONNX graph once, up front and in a process of its own, so that no measured
        # process pays for it, and this one stays small (children inherit its peak RSS).
        context = mp.get_context("spawn")
        exporter = context.Process(target=_export, args=(cache_dir,))
        exporter.start()
        exporter.join()
        results = [
            measure(mode, args.dataset_dir, args.posts, args.naive_posts, cache_dir)
            for mode in ("naive", "torch-batched", "default", "default-30%-dup")
        ]
    print(f"\n{'mode':<16} {'posts':>7} {'seconds':>8} {'posts/s':>9} {'peak MiB':>9} {'+MiB':>6} {'macro recall':>13}")
    for r in results:
        print(
            f"{r['mode']:<16} {r['posts']:7,} {r['seconds']:8.1f} {r['posts'] / r['seconds']:9.1f} "
            f"{r['peak_mib']:9.0f} "
            f"{r['peak_mib'] - r['before_mib']:6.0f} {r['macro_recall']:13.4f}"
        )
    rate = {r["mode"]: r["posts"] / r["seconds"] for r in results}
    print(
        f"\ndefault vs naive: {rate['default'] / rate['naive']:.1f}x; with 30% duplicates and the cache: "
        f"{rate['default-30%-dup'] / rate['naive']:.1f}x; "
        f"int8 vs float32 batched: {rate['default'] / rate['torch-batched']:.2f}x"
    )


if __name__ == "__main__":
    main()
