"""The three text backends behind one interface: texts in, (n, 3) class probabilities out.

Probabilities are ordered negative, neutral, positive. ``truncated`` marks texts cut at
``max_length`` tokens. ``fingerprint`` names the exact model (weights included), keying the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from sentiment_platform.lib.model_artifacts import MODEL_CACHE_DIR
from sentiment_platform.lib.scoring.labels import map_model_labels
from sentiment_platform.lib.scoring.text.batching import length_batches, pad_ids
from sentiment_platform.lib.scoring.text.text_input import describe_symbols


class TextModel(Protocol):
    name: str
    fingerprint: str

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities (n, 3) float32, truncated (n,) bool) for non-empty texts."""


def file_digest(path: str | Path, size: int = 12) -> str:
    """Short SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:size]


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def set_threads(threads: int) -> None:
    """Limit torch's intra-op threads (0 leaves torch's default)."""
    if threads > 0:
        import torch

        torch.set_num_threads(threads)


@dataclass
class EncoderTextModel:
    """A packaged encoder + a top trained by the project (see :mod:`encoder_model`); the weights file
    names its encoder (English MiniLM by default, or multilingual E5).

    ``runtime`` is ``onnx-int8`` (exported once, fused and int8-quantized with ONNX Runtime, cached
    in ``cache_dir``) or ``torch`` (float32).
    """

    weights_path: str | Path
    runtime: str = "onnx-int8"
    batch_size: int = 32
    max_length: int = 128
    threads: int = 2
    cache_dir: str | Path = MODEL_CACHE_DIR
    name: str = field(init=False)
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        from sentiment_platform.lib.scoring.text.encoder_model import (
            EncoderSentiment,
            TrainedPart,
            encoder_named,
        )

        if self.runtime not in ("onnx-int8", "torch"):
            raise ValueError(f"unknown runtime {self.runtime!r}; expected onnx-int8 or torch")
        digest = file_digest(self.weights_path)
        trained = TrainedPart.load(self.weights_path)
        encoder = encoder_named(trained.encoder)
        self.name = encoder.model_name
        self._tokenizer = encoder.tokenizer()
        self._describe_symbols = encoder.describes_symbols
        set_threads(self.threads)
        if self.runtime == "torch":
            self.fingerprint = f"{self.name}-{digest}-{self.runtime}"
            self._torch_model, self._session = EncoderSentiment.build(trained), None
        else:
            from sentiment_platform.lib.scoring.text.onnx_export import (
                EXPORT_VERSION,
                export_int8,
                open_session,
            )

            self.fingerprint = f"{self.name}-{digest}-{self.runtime}-{EXPORT_VERSION}"
            path = Path(self.cache_dir) / f"{self.fingerprint}.onnx"
            if not path.exists():  # the torch model is only built (seconds, GBs for E5) to export it
                export_int8(EncoderSentiment.build(trained), path)
            self._torch_model, self._session = None, open_session(path, self.threads)

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        prepared = [describe_symbols(text) for text in texts] if self._describe_symbols else list(texts)
        ids = self._tokenizer(prepared, truncation=True, max_length=self.max_length)["input_ids"]
        lengths = [len(row) for row in ids]
        probs = np.zeros((len(texts), 3), dtype=np.float32)
        for batch in length_batches(lengths, self.batch_size):
            input_ids, mask = pad_ids([ids[i] for i in batch])
            probs[batch] = self._run(input_ids, mask)
        return probs, np.asarray(lengths) >= self.max_length

    def unknown_shares(self, texts: Sequence[str]) -> np.ndarray:
        """Per text, the share of its tokens the vocabulary does not know (0 for an empty text)."""
        unknown = self._tokenizer.unk_token_id
        ids = self._tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        return np.array([sum(i == unknown for i in row[1:-1]) / max(len(row) - 2, 1) for row in ids])

    def _run(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self._session is not None:
            return self._session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        import torch

        with torch.inference_mode():
            return self._torch_model(torch.from_numpy(input_ids), torch.from_numpy(mask)).numpy()


@dataclass
class TransformersTextModel:
    """Any Hugging Face sequence-classification model (id or local folder), labels mapped onto
    negative/neutral/positive; a two-label model never predicts neutral (p_neutral is 0)."""

    model: str
    batch_size: int = 32
    max_length: int = 128
    threads: int = 2
    name: str = field(init=False)
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        set_threads(self.threads)
        self._tokenizer = AutoTokenizer.from_pretrained(self.model)
        self._model = AutoModelForSequenceClassification.from_pretrained(self.model).eval()
        self._columns = map_model_labels(self._model.config.id2label)
        limit = getattr(self._tokenizer, "model_max_length", self.max_length) or self.max_length
        self._max_length = min(self.max_length, int(limit))
        self.name = str(self.model)
        commit = getattr(self._model.config, "_commit_hash", None) or ""
        self.fingerprint = "hf-" + hashlib.sha256(f"{self.model}@{commit}".encode()).hexdigest()[:12]

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        import torch

        encoded = self._tokenizer(list(texts), truncation=True, max_length=self._max_length)
        ids = encoded["input_ids"]
        pad = self._tokenizer.pad_token_id or 0
        lengths = [len(row) for row in ids]
        probs = np.zeros((len(texts), 3), dtype=np.float32)
        for batch in length_batches(lengths, self.batch_size):
            input_ids, mask = pad_ids([ids[i] for i in batch], pad)
            with torch.inference_mode():
                logits = self._model(
                    input_ids=torch.from_numpy(input_ids), attention_mask=torch.from_numpy(mask)
                ).logits
            out = softmax(logits.float().numpy())
            for column, target in enumerate(self._columns):
                probs[batch, target] += out[:, column]
        return probs, np.asarray(lengths) >= self._max_length


@dataclass
class VaderTextModel:
    """The VADER lexicon baseline. Its label is VADER's documented rule (compound >= 0.05
    positive, <= -0.05 negative); the probabilities are a softmax around those thresholds, so
    their argmax is that same label."""

    sharpness: float = 10.0
    name: str = field(init=False, default="vader")
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        from importlib.metadata import version

        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()
        self.fingerprint = f"vader-{version('vaderSentiment')}"

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        compound = np.array([self._analyzer.polarity_scores(text)["compound"] for text in texts], dtype=np.float64)
        k = self.sharpness
        logits = np.stack([k * (-compound - 0.05), np.zeros_like(compound), k * (compound - 0.05)], axis=1)
        return softmax(logits).astype(np.float32), np.zeros(len(texts), dtype=bool)


@dataclass
class MultilingualTextModel:
    """Each text to the model of its language: English to ``english`` (fast), every other language
    the multilingual encoder covers to ``multilingual``. On each route the encoder's probabilities
    are averaged with those of that route's partners (model, weight): ``english_partners`` and
    ``partners``; the encoder keeps what the weights leave. A text
    confidently in a language that encoder was not pre-trained on, or mostly in characters its
    vocabulary lacks, gets NaN probabilities: no installed model covers it (status
    ``unsupported_language``, never a guess)."""

    english: EncoderTextModel
    multilingual: EncoderTextModel
    partners: tuple[tuple[TextModel, float], ...] = ()
    english_partners: tuple[tuple[TextModel, float], ...] = ()
    max_unknown_share: float = 0.5
    name: str = field(init=False)
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        for partners in (self.english_partners, self.partners):
            weights = [weight for _, weight in partners]
            if any(weight <= 0 for weight in weights) or sum(weights) >= 1:
                raise ValueError(f"partner weights must be above 0 and leave the encoder some: {weights}")

        def named(encoder: EncoderTextModel, partners: tuple[tuple[TextModel, float], ...]) -> list[str]:
            return [encoder.name, *(model.name for model, _ in partners)]

        def printed(encoder: EncoderTextModel, partners: tuple[tuple[TextModel, float], ...]) -> str:
            return encoder.fingerprint + "".join(f"-{model.fingerprint}-w{weight:g}" for model, weight in partners)

        self.name = "+".join(named(self.english, self.english_partners) + named(self.multilingual, self.partners))
        english, multilingual = printed(self.english, self.english_partners), printed(self.multilingual, self.partners)
        self.fingerprint = f"routed-{english}-{multilingual}"

    def routes(self, texts: Sequence[str]) -> list[str]:
        """``english``, ``multilingual`` or ``unsupported`` per text."""
        from sentiment_platform.lib.cleansing.languages import (
            CONFIDENT,
            ENCODER_LANGUAGES,
            UNDETERMINED,
            detect_languages,
        )

        unknown = self.multilingual.unknown_shares(texts)
        routes = []
        for (code, confidence), share in zip(detect_languages(texts), unknown):
            if share > self.max_unknown_share or (confidence >= CONFIDENT and code not in ENCODER_LANGUAGES):
                routes.append("unsupported")
            else:
                # English (and texts with no letters, which the English model reads through the
                # emoji's names) to the English model; the multilingual model covers the rest.
                english = code in ("en", UNDETERMINED)  # und: emoji, numbers
                routes.append("english" if english else "multilingual")
        return routes

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        routes = np.asarray(self.routes(texts))
        probs = np.full((len(texts), 3), np.nan, dtype=np.float32)
        truncated = np.zeros(len(texts), dtype=bool)
        for route, model, partners in (
            ("english", self.english, self.english_partners),
            ("multilingual", self.multilingual, self.partners),
        ):
            rows = np.flatnonzero(routes == route)
            if not rows.size:
                continue
            routed = [texts[i] for i in rows]
            probs[rows], truncated[rows] = model.predict(routed)
            if partners:
                # Views of the text that err on different tweets, averaged: the encoder's, the
                # character n-grams', USE's.
                blended = (1 - sum(weight for _, weight in partners)) * probs[rows]
                for partner, weight in partners:
                    blended += weight * partner.predict(routed)[0]
                probs[rows] = blended
        return probs, truncated


#: The text backends, by the name ``TextScorer.backend`` takes.
TEXT_BACKENDS = ("multilingual", "minilm", "e5", "classical", "use", "transformers", "vader")


def load_text_model(backend: str, **options: Any) -> TextModel:
    """The named backend with its options: ``multilingual`` (the default: English to MiniLM averaged
    with the English classical model, other languages to E5 averaged with the classical and USE
    models; ``english_weights``, ``multilingual_weights``, ``english_classical_path``,
    ``english_classical_weight``, ``classical_path``, ``classical_weight``, ``use_path``,
    ``use_weight`` and the encoder options), ``minilm``/``e5`` (one encoder: ``weights_path``, ...), ``classical``
    (``path``), ``use`` (``path``, ``threads``), ``transformers`` (``model``, ...) or ``vader``."""
    from sentiment_platform.lib.scoring.text.classical import ClassicalTextModel
    from sentiment_platform.lib.scoring.text.use_head import UseTextModel

    if backend == "multilingual":
        english, multilingual = options.pop("english_weights"), options.pop("multilingual_weights")
        classical, classical_weight = options.pop("classical_path"), options.pop("classical_weight")
        use, use_weight = options.pop("use_path"), options.pop("use_weight")
        english_classical = options.pop("english_classical_path")
        english_classical_weight = options.pop("english_classical_weight")
        english_partners = []
        if english_classical_weight:
            english_partners.append((ClassicalTextModel(english_classical), english_classical_weight))
        partners = []
        if classical_weight:
            partners.append((ClassicalTextModel(classical), classical_weight))
        if use_weight:
            partners.append((UseTextModel(use, options["threads"]), use_weight))
        return MultilingualTextModel(
            EncoderTextModel(english, **options),
            EncoderTextModel(multilingual, **options),
            tuple(partners),
            tuple(english_partners),
        )
    if backend in ("minilm", "e5"):
        return EncoderTextModel(**options)
    if backend == "classical":
        return ClassicalTextModel(**options)
    if backend == "use":
        return UseTextModel(**options)
    if backend == "transformers":
        return TransformersTextModel(**options)
    if backend == "vader":
        return VaderTextModel()
    raise ValueError(f"unknown text backend {backend!r}; expected one of {', '.join(TEXT_BACKENDS)}")
