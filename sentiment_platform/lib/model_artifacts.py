"""Trained models as lake objects: each artifact stored under its content digest, one pointer to
the current one per model, and local copies for the libraries that load models from files.

The lake holds the models a deployment trained (on local disk or S3 alike); a fresh install has none
and scores with the files shipped in the package.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sentiment_platform.lib.lake_layout import current_model_key, model_artifact_key

#: The local folder where models are exported (ONNX) and the lake's models are copied to.
MODEL_CACHE_DIR = "data/models"

if TYPE_CHECKING:
    from sentiment_platform.lib.lake_store import LakeStore

#: Where local copies of the lake's artifacts are kept, under a scorer's ``cache_dir``.
LOCAL_COPIES = "lake_models"


@dataclass(frozen=True)
class ModelArtifact:
    """One trained artifact: the model (asset) it belongs to, its lake key and content digest."""

    model: str
    key: str
    digest: str

    @property
    def file_name(self) -> str:
        return self.key.rsplit("/", 1)[1]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def publish_model(storage: LakeStore, model: str, path: Path) -> ModelArtifact:
    """Store the file at ``path`` as ``model``'s artifact and make it the current one. Publishing
    the same bytes again changes nothing but the pointer."""
    data = path.read_bytes()
    digest = _digest(data)
    artifact = ModelArtifact(model, model_artifact_key(model, digest, "".join(path.suffixes)), digest)
    if not storage.exists(artifact.key):
        storage.write_bytes(artifact.key, data)
    pointer = {"key": artifact.key, "digest": digest, "source_name": path.name}
    storage.write_bytes(current_model_key(model), json.dumps(pointer, sort_keys=True).encode())
    return artifact


def current_model(storage: LakeStore, model: str) -> ModelArtifact | None:
    """The artifact scorers load for ``model``, or None when the lake holds none (a fresh install)."""
    key = current_model_key(model)
    if not storage.exists(key):
        return None
    pointer = json.loads(storage.read_bytes(key))
    return ModelArtifact(model, pointer["key"], pointer["digest"])


def local_model_file(storage: LakeStore, artifact: ModelArtifact, cache_dir: str | Path) -> Path:
    """A local file with the artifact's bytes (downloaded once; its name is its digest, so a copy
    is never stale)."""
    target = Path(cache_dir) / LOCAL_COPIES / artifact.model / artifact.file_name
    if not target.exists():
        data = storage.read_bytes(artifact.key)
        if _digest(data) != artifact.digest:
            raise ValueError(f"{artifact.key} does not match its digest {artifact.digest}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}")
        partial.write_bytes(data)
        partial.replace(target)  # atomic: concurrent loaders never read half a file
    return target


def current_model_files(storage: LakeStore, models: tuple[str, ...], cache_dir: str | Path) -> dict[str, str]:
    """Local copies of the current artifacts of ``models`` that the lake holds, by model."""
    files = {}
    for model in models:
        artifact = current_model(storage, model)
        if artifact is not None:
            files[model] = str(local_model_file(storage, artifact, cache_dir))
    return files
