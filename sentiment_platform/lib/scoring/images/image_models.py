"""Image backends behind one interface: decoded RGB images in, (n, 3) class probabilities out.

``vision`` (the default, offline): EfficientNet-Lite0's ImageNet features (see
:mod:`vision_backbone`) and a head trained by the project on real tweet images (see :mod:`image_head`).

``affect`` (fallback, no model at all): a hand-set colour-affect model. Work on colour and emotion
(Valdez & Mehrabian 1994; Hanbury's colourfulness) finds pleasure rises with brightness and
colourfulness and with warm hues; the model turns brightness, colourfulness and warmth into three
logits with fixed coefficients. It knows nothing of objects, faces or text, so it is a weak signal
on real photos; the evaluation reports it on held-out mock images, whose palettes follow the same
cues, so that figure overstates real-world quality.

``clip``: zero-shot classification with any CLIP checkpoint through ``transformers``, one or
more prompts per class; the class probability is the sum over its prompts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from sentiment_platform.lib.model_artifacts import MODEL_CACHE_DIR
from sentiment_platform.lib.scoring.labels import LABELS
from sentiment_platform.lib.scoring.text.text_models import set_threads, softmax

DEFAULT_PROMPTS: dict[str, tuple[str, ...]] = {
    "negative": ("a sad, gloomy photo", "a photo of something bad or upsetting"),
    "neutral": ("an ordinary, neutral photo", "a plain everyday photo"),
    "positive": ("a happy, joyful photo", "a photo of something wonderful"),
}


class ImageModel(Protocol):
    name: str
    fingerprint: str

    def predict(self, images: Sequence[Image.Image]) -> np.ndarray:
        """(n, 3) float32 probabilities for RGB images."""


def colour_features(image: Image.Image, side: int = 64) -> tuple[float, float, float]:
    """(brightness, colourfulness, warmth) of an image, each roughly in [0, 1] (warmth in [-1, 1]).

    Brightness is the mean Rec. 601 luma; colourfulness Hanbury-Süsstrunk's metric scaled to about
    [0, 1]; warmth the mean red minus blue.
    """
    small = image.convert("RGB")
    small.thumbnail((side, side))
    rgb = np.asarray(small, dtype=np.float32) / 255.0
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    rg, yb = r - g, 0.5 * (r + g) - b
    colourfulness = np.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    return float(luma.mean()), float(min(colourfulness / 0.6, 1.0)), float((r - b).mean())


@dataclass
class AffectImageModel:
    """The embedded default (see the module docstring)."""

    darkness_weight: float = 9.0
    dark_below: float = 0.38
    colour_weight: float = 9.0
    colourful_above: float = 0.3
    warmth_weight: float = 2.0
    name: str = field(init=False, default="colour-affect")
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        params = [self.darkness_weight, self.dark_below, self.colour_weight, self.colourful_above, self.warmth_weight]
        self.fingerprint = "colour-affect-" + hashlib.sha256(json.dumps(params).encode()).hexdigest()[:8]

    def logits(self, features: np.ndarray) -> np.ndarray:
        brightness, colourfulness, warmth = features[:, 0], features[:, 1], features[:, 2]
        negative = self.darkness_weight * (self.dark_below - brightness)
        positive = self.colour_weight * (colourfulness - self.colourful_above) + self.warmth_weight * warmth
        return np.stack([negative, np.zeros_like(negative), positive], axis=1)

    def predict(self, images: Sequence[Image.Image]) -> np.ndarray:
        features = np.array([colour_features(image) for image in images], dtype=np.float32).reshape(-1, 3)
        return softmax(self.logits(features)).astype(np.float32)


@dataclass
class ClipImageModel:
    """CLIP zero-shot through the ``zero-shot-image-classification`` pipeline."""

    model: str
    prompts: Mapping[str, Sequence[str]] = field(default_factory=lambda: dict(DEFAULT_PROMPTS))
    batch_size: int = 16
    threads: int = 2
    name: str = field(init=False)
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        from transformers import pipeline

        if set(self.prompts) != set(LABELS) or not all(self.prompts[label] for label in LABELS):
            raise ValueError(f"prompts must give at least one prompt for each of {list(LABELS)}")
        set_threads(self.threads)
        self._pipeline = pipeline("zero-shot-image-classification", model=self.model)
        self._prompt_class = {prompt: LABELS.index(label) for label in LABELS for prompt in self.prompts[label]}
        self.name = f"clip:{self.model}"
        spec = json.dumps(
            {"model": self.model, "prompts": {k: list(v) for k, v in self.prompts.items()}}, sort_keys=True
        )
        self.fingerprint = "clip-" + hashlib.sha256(spec.encode()).hexdigest()[:12]

    def predict(self, images: Sequence[Image.Image]) -> np.ndarray:
        probs = np.zeros((len(images), 3), dtype=np.float32)
        if not images:
            return probs
        results = self._pipeline(list(images), candidate_labels=list(self._prompt_class), batch_size=self.batch_size)
        for row, result in enumerate(results):
            for item in result:
                probs[row, self._prompt_class[item["label"]]] += item["score"]
        return probs


@dataclass
class VisionImageModel:
    """The pre-trained backbone's features through a trained head (the default)."""

    head_path: str | Path
    cache_dir: str | Path = MODEL_CACHE_DIR
    threads: int = 2
    runtime: str = "onnx"
    name: str = field(init=False, default="efficientnet-lite0-mvsa")
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        from sentiment_platform.lib.scoring.images.image_head import ImageHead, head_digest
        from sentiment_platform.lib.scoring.images.vision_backbone import VisionBackbone, backbone_fingerprint

        self._head = ImageHead.load(self.head_path)
        self._backbone = VisionBackbone(self.cache_dir, self.threads, self.runtime)
        self.fingerprint = f"{backbone_fingerprint()}-{self.runtime}-head-{head_digest(self.head_path)}"

    def predict(self, images: Sequence[Image.Image]) -> np.ndarray:
        if not images:
            return np.zeros((0, 3), dtype=np.float32)
        return self._head.probabilities(self._backbone.features(images))


#: The image backends, by the name ``ImageScorer.backend`` takes.
IMAGE_BACKENDS = ("vision", "affect", "clip")


def load_image_model(backend: str, **options: Any) -> ImageModel:
    """The backend named ``vision`` (``head_path``, ``cache_dir``, ``threads``), ``affect`` or ``clip``
    with its options."""
    if backend == "vision":
        return VisionImageModel(**options)
    if backend == "affect":
        return AffectImageModel()
    if backend == "clip":
        return ClipImageModel(**options)
    raise ValueError(f"unknown image backend {backend!r}; expected one of {', '.join(IMAGE_BACKENDS)}")
