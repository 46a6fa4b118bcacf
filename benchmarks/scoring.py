"""Text scoring throughput and peak memory of the default backend against the naive baseline,
on an English stream and on a multilingual one.

Run: python benchmarks/scoring.py [--posts 10000] [--naive-posts 2000] [--multilingual-posts 8000]
     [--images 1000] [--only texts|images]

English stream: the first N TweetEval test tweets (SENTIMENT_DATASET_DIR or ../shared/datasets).
Multilingual stream: UMSAB val tweets of all eight languages, interleaved (SENTIMENT_UMSAB_DIR).
Each mode runs in its own process (peak RSS is its own), with 2 threads:

- naive: the English model through a `transformers` pipeline (feature extraction + the trained
  head), called one post at a time, float32. It runs on the first --naive-posts texts (its rate
  does not depend on how many); set --naive-posts to --posts for the full run.
- torch-batched: the English model in float32 torch, length-bucketed batches of 32.
- english-only: the English model as the default runs it (ONNX Runtime, fused, int8), batches of 32:
  the default before the multilingual backend.
- default: the default backend (`multilingual`: language routing, the English model averaged with
  the English classical model, E5 model in int8 averaged with the classical and USE models on
  non-English texts).
- default-30%-dup: the default backend with the score cache on a stream where 30% of the posts
  repeat an earlier text (same size as --posts).

The multilingual stream runs `english-only` and `default`. Images (--images of MVSA, read and
decoded inside the timing): `default` (EfficientNet-Lite0 through ONNX Runtime + the trained head)
against `torch-backbone` (the float32 torch backbone alone), then the text in images on its own
(`ocr`: RapidOCR's detector, and its recogniser where there is text) and the whole default image
path (`default+ocr`), with the share of images found to have text. Macro recall (and, on UMSAB, the mean
over languages of macro F1) is printed for each mode, to show what the speed costs in quality.
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


def _texts(stream: str, directory: str, posts: int) -> tuple[list[str], list[int], list[str]]:
    """Texts, labels and languages of the first ``posts`` of a stream."""
    from sentiment_platform.lib.scoring.fitting.datasets import load_split, load_umsab

    if stream == "english":
        test = load_split(directory, "test")
        return test.texts[:posts], test.labels[:posts], ["en"] * min(posts, len(test))
    # Round-robin over the languages, as a mixed feed would bring them.
    parts = load_umsab(directory, "val")
    rows = [
        (part.texts[i], part.labels[i], code)
        for i in range(max(len(part) for part in parts.values()))
        for code, part in parts.items()
        if i < len(part)
    ][:posts]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def _naive_predict(texts: list[str]):
    import numpy as np
    import torch
    from transformers import pipeline

    from sentiment_platform.lib.scoring.text.encoder_model import (
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


def _run(mode: str, stream: str, directory: str, posts: int, cache_dir: str, queue) -> None:
    from sentiment_platform.lib.scoring.fitting.evaluation import predicted_classes
    from sentiment_platform.lib.scoring.fitting.metrics import classification_report, mean_macro_f1
    from sentiment_platform.lib.scoring.text.score_cache import ScoreCache
    from sentiment_platform.lib.scoring.text.text_scoring import (
        class_probabilities,
        score_text_values,
    )

    texts, labels, languages = _texts(stream, directory, posts)
    if mode == "default-30%-dup":
        rng = random.Random(0)
        unique = texts[: int(len(texts) * 0.7)]
        repeated = unique + [rng.choice(unique) for _ in range(len(texts) - len(unique))]
        labels = labels[: len(unique)] + [labels[unique.index(t)] for t in repeated[len(unique) :]]
        rng.shuffle(order := list(range(len(repeated))))
        texts, labels = [repeated[i] for i in order], [labels[i] for i in order]
    if mode != "naive":
        model = _scorer(mode, cache_dir).load()
        model.predict(["warm up", "bonjour à tous"])
    before = _peak_rss_mib()
    started = time.perf_counter()
    if mode == "naive":
        probabilities = _naive_predict(texts)
    else:
        cache = ScoreCache(model.fingerprint) if mode == "default-30%-dup" else None
        frame, _ = score_text_values(texts, model, cache)
        probabilities = class_probabilities(frame)
    seconds = time.perf_counter() - started
    predicted = predicted_classes(probabilities)
    report = classification_report(labels, predicted)
    queue.put(
        {
            "mode": mode,
            "stream": stream,
            "mean_f1": mean_macro_f1(labels, predicted, languages) if stream == "multilingual" else None,
            "posts": len(texts),
            "seconds": seconds,
            "peak_mib": _peak_rss_mib(),
            "before_mib": before,
            "macro_recall": report["macro_recall"],
        }
    )


def _scorer(mode: str, cache_dir: str):
    from sentiment_platform.resources.scorers import TextScorer

    if mode == "torch-batched":
        return TextScorer(backend="minilm", runtime="torch", cache_dir=cache_dir)
    if mode == "english-only":
        return TextScorer(backend="minilm", cache_dir=cache_dir)
    return TextScorer(cache_dir=cache_dir)


def _export(cache_dir: str) -> None:
    from sentiment_platform.resources.scorers import ImageScorer

    _scorer("default", cache_dir).load()  # both ONNX graphs (English and E5)
    ImageScorer(cache_dir=cache_dir).load()  # the image backbone's graph


def _run_images(mode: str, mvsa_dir: str, images: int, cache_dir: str, queue) -> None:
    """Images/s of the image path on MVSA images (files read and decoded inside the timing)."""
    from PIL import Image

    from sentiment_platform.lib.scoring.fitting.image_datasets import load_mvsa
    from sentiment_platform.lib.scoring.images.vision_backbone import VisionBackbone, image_batches
    from sentiment_platform.resources.scorers import ImageScorer

    sets = load_mvsa(mvsa_dir)
    paths = (sets["train"].paths + sets["val"].paths)[:images]
    scorer = ImageScorer(cache_dir=cache_dir)
    read = scorer.load_text_reader().read
    if mode == "torch-backbone":
        predict = VisionBackbone(cache_dir, threads=2, runtime="torch").features
    elif mode == "ocr":
        predict = read
    elif mode == "default":
        predict = scorer.load().predict
    else:
        model = scorer.load()

        def predict(batch):
            return model.predict(batch), read(batch)

    predict([Image.new("RGB", (64, 64))])
    before = _peak_rss_mib()
    with_text = 0
    started = time.perf_counter()
    for _, batch in image_batches(paths):
        out = predict(batch)
        texts = out if mode == "ocr" else out[1] if mode == "default+ocr" else []
        with_text += sum(text is not None for text in texts)
    seconds = time.perf_counter() - started
    queue.put(
        {
            "mode": mode,
            "images": len(paths),
            "seconds": seconds,
            "peak_mib": _peak_rss_mib(),
            "before_mib": before,
            "with_text": with_text if mode in ("ocr", "default+ocr") else None,
        }
    )


def measure(mode: str, *args, target=_run) -> dict:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(mode, *args, queue))
    process.start()
    process.join()
    if process.exitcode != 0 or queue.empty():
        raise RuntimeError(f"mode {mode} failed (exit code {process.exitcode})")
    return queue.get()


def main() -> None:
    from sentiment_platform.lib.scoring.fitting.datasets import DEFAULT_DATASET_DIR, DEFAULT_UMSAB_DIR
    from sentiment_platform.lib.scoring.fitting.image_datasets import DEFAULT_MVSA_DIR

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--naive-posts", type=int, default=2_000)
    parser.add_argument("--multilingual-posts", type=int, default=8_000)
    parser.add_argument("--dataset-dir", default=os.environ.get("SENTIMENT_DATASET_DIR", str(DEFAULT_DATASET_DIR)))
    parser.add_argument("--umsab-dir", default=os.environ.get("SENTIMENT_UMSAB_DIR", str(DEFAULT_UMSAB_DIR)))
    parser.add_argument("--images", type=int, default=1_000)
    parser.add_argument("--mvsa-dir", default=os.environ.get("SENTIMENT_MVSA_DIR", str(DEFAULT_MVSA_DIR)))
    parser.add_argument("--only", choices=("texts", "images"), help="Run only the text or only the image part.")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; TweetEval test from {args.dataset_dir}; UMSAB val from {args.umsab_dir}")
    english = ("english", args.dataset_dir)
    multilingual = ("multilingual", args.umsab_dir)
    runs = [
        ("naive", *english, args.naive_posts),
        ("torch-batched", *english, args.posts),
        ("english-only", *english, args.posts),
        ("default", *english, args.posts),
        ("default-30%-dup", *english, args.posts),
        ("english-only", *multilingual, args.multilingual_posts),
        ("default", *multilingual, args.multilingual_posts),
    ]
    with tempfile.TemporaryDirectory() as cache_dir:
        # Export the ONNX graphs once, up front and in a process of their own, so that no measured
        # process pays for it, and this one stays small (children inherit its peak RSS).
        context = mp.get_context("spawn")
        exporter = context.Process(target=_export, args=(cache_dir,))
        exporter.start()
        exporter.join()
        results = []
        if args.only != "images":
            results = [measure(mode, stream, directory, posts, cache_dir) for mode, stream, directory, posts in runs]
        images = []
        if args.only != "texts":
            images = [
                measure(mode, args.mvsa_dir, args.images, cache_dir, target=_run_images)
                for mode in ("torch-backbone", "default", "ocr", "default+ocr")
            ]
    if results:
        _print_texts(results)
    if images:
        _print_images(images)


def _print_texts(results: list[dict]) -> None:
    print(
        f"\n{'stream':<13} {'mode':<16} {'posts':>7} {'seconds':>8} {'posts/s':>9} {'peak MiB':>9} {'+MiB':>6} "
        f"{'macro recall':>13} {'mean F1':>8}"
    )
    for r in results:
        mean_f1 = f"{r['mean_f1']:8.4f}" if r["mean_f1"] is not None else f"{'':8}"
        print(
            f"{r['stream']:<13} {r['mode']:<16} {r['posts']:7,} {r['seconds']:8.1f} {r['posts'] / r['seconds']:9.1f} "
            f"{r['peak_mib']:9.0f} {r['peak_mib'] - r['before_mib']:6.0f} {r['macro_recall']:13.4f} {mean_f1}"
        )
    rate = {(r["stream"], r["mode"]): r["posts"] / r["seconds"] for r in results}
    naive = rate["english", "naive"]
    print(
        f"\nEnglish stream: default vs naive {rate['english', 'default'] / naive:.1f}x "
        f"(English model alone {rate['english', 'english-only'] / naive:.1f}x); with 30% duplicates and the cache "
        f"{rate['english', 'default-30%-dup'] / naive:.1f}x; int8 vs float32 batched "
        f"{rate['english', 'english-only'] / rate['english', 'torch-batched']:.2f}x"
    )
    print(
        f"multilingual stream: default {rate['multilingual', 'default']:.1f} texts/s vs English-only "
        f"{rate['multilingual', 'english-only']:.1f} texts/s"
    )


def _print_images(images: list[dict]) -> None:
    print(
        f"\n{'images (MVSA)':<16} {'images':>7} {'seconds':>8} {'images/s':>9} {'peak MiB':>9} {'+MiB':>6} "
        f"{'with text':>10}"
    )
    for r in images:
        share = f"{r['with_text'] / r['images']:10.1%}" if r["with_text"] is not None else f"{'':10}"
        print(
            f"{r['mode']:<16} {r['images']:7,} {r['seconds']:8.1f} {r['images'] / r['seconds']:9.1f} "
            f"{r['peak_mib']:9.0f} {r['peak_mib'] - r['before_mib']:6.0f} {share}"
        )
    print(
        "(default: EfficientNet-Lite0 ONNX + head, target >= 25 images/s; torch-backbone: the float32 torch "
        "backbone alone; ocr: the text reader alone; default+ocr: the whole default image path)"
    )


if __name__ == "__main__":
    from results_page import results_page

    with results_page(__file__):
        main()
