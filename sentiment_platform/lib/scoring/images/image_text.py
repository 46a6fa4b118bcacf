"""Text written in images, read offline: RapidOCR's PP-OCR detector and recogniser (ONNX models
shipped inside the ``rapidocr-onnxruntime`` wheel).

Cost is bounded in three ways: each image is shrunk to ``max_side`` pixels before detection (the
library's default scales the *short* side up to 736, several times the work on a phone photo);
the detector runs first and an image with no text region stops there, so a photo without text
costs one small forward pass; and no orientation classifier runs (captions are upright).

The recogniser often drops the spaces of a caption (``BESTDAYEVER``); a run of letters that an
English word list splits cleanly into words is split back (``best day ever``), others are kept.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from sentiment_platform.lib.scoring.array_files import files_digest

#: Letters-only tokens at least this long may be run-together words.
_RUN_TOGETHER = re.compile(r"[A-Za-z]{5,}")
_SINGLE_LETTER_WORDS = {"a", "i"}


@lru_cache(maxsize=1)
def _word_splitter():
    import wordninja

    return wordninja


def split_run_together(text: str) -> str:
    """``text`` with each long run of letters that splits into known words (none of them a stray
    letter) written as those words; other text unchanged."""

    def split(match: re.Match) -> str:
        token = match.group(0)
        words = _word_splitter().split(token.lower())
        if len(words) < 2 or any(len(w) == 1 and w not in _SINGLE_LETTER_WORDS for w in words):
            return token
        return " ".join(words)

    return _RUN_TOGETHER.sub(split, text)


@dataclass
class ImageTextReader:
    """Reads the text in images (see the module docstring); ``read`` gives None for an image
    without any text it trusts."""

    max_side: int = 640
    min_confidence: float = 0.5
    threads: int = 2
    name: str = field(init=False, default="rapidocr-ppocrv4")
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        from importlib.metadata import version

        settings = [version("rapidocr-onnxruntime"), self.max_side, self.min_confidence]
        self.fingerprint = "ocr-" + hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:10]
        self._engine = None

    def _ocr(self):
        if self._engine is None:
            from rapidocr_onnxruntime import RapidOCR

            threads = self.threads if self.threads > 0 else -1
            self._engine = RapidOCR(
                det_limit_side_len=self.max_side,
                det_limit_type="max",
                use_cls=False,
                text_score=self.min_confidence,
                intra_op_num_threads=threads,
                inter_op_num_threads=1,
            )
        return self._engine

    def read_one(self, image: Image.Image) -> str | None:
        """The text of one RGB image, lines in reading order joined by spaces, or None."""
        small = image.copy()
        small.thumbnail((self.max_side, self.max_side))
        found, _ = self._ocr()(np.asarray(small), use_cls=False, text_score=self.min_confidence)
        lines = [text.strip() for _, text, confidence in found or () if confidence >= self.min_confidence]
        text = " ".join(line for line in lines if line)
        return split_run_together(text) if text else None

    def read(self, images: Sequence[Image.Image]) -> list[str | None]:
        """The text of each image (None where there is none, or where the reader fails on it: a
        valid image the OCR cannot handle loses its text, never the partition)."""
        texts: list[str | None] = []
        for image in images:
            try:
                texts.append(self.read_one(image))
            except Exception:  # noqa: BLE001 - any failure inside the OCR library
                texts.append(None)
        return texts


def file_texts(reader: ImageTextReader, paths: Sequence[Path], cache_dir: str | Path | None = None) -> list[str | None]:
    """The text in each image file, kept under ``cache_dir`` (keyed by the reader and the files)
    so that retraining the fusion does not read the images twice."""
    from sentiment_platform.lib.scoring.images.vision_backbone import image_batches

    cached = Path(cache_dir) / "image_texts" / f"{files_digest(reader.fingerprint, paths)}.json" if cache_dir else None
    if cached is not None and cached.exists():
        return json.loads(cached.read_text(encoding="utf-8"))
    texts: list[str | None] = []
    for _, images in image_batches(paths):
        texts.extend(reader.read(images))
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(cached.name + ".tmp")
        tmp.write_text(json.dumps(texts), encoding="utf-8")
        tmp.replace(cached)
    return texts
