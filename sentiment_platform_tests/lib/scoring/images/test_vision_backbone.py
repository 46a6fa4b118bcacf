"""The pre-trained backbone: preprocessing, torch and ONNX agreement, cached file features, the head."""

import numpy as np
import pytest
from PIL import Image

from sentiment_platform.lib.scoring.fitting.image_datasets import LabeledImages, stratified_split
from sentiment_platform.lib.scoring.images.image_head import (
    DEFAULT_IMAGE_HEAD,
    ImageHead,
    fit_image_head,
    image_figures,
)
from sentiment_platform.lib.scoring.images.vision_backbone import (
    CROP,
    FEATURES,
    VisionBackbone,
    file_features,
    preprocess,
)


def test_preprocessing_resizes_the_shorter_side_crops_the_centre_and_normalises():
    wide = Image.new("RGB", (640, 160), (255, 0, 0))
    wide.paste((0, 0, 255), (0, 0, 100, 160))  # a blue band the centre crop leaves out
    array = preprocess(wide)
    assert array.shape == (3, CROP, CROP) and array.dtype == np.float32
    assert np.allclose(array[0], (1 - 0.485) / 0.229) and np.allclose(array[2], (0 - 0.406) / 0.225)
    assert preprocess(Image.new("L", (10, 30), 128)).shape == (3, CROP, CROP)  # tiny and grey


@pytest.fixture(scope="module")
def backbones(model_cache):
    return VisionBackbone(model_cache), VisionBackbone(model_cache, runtime="torch")


def test_the_onnx_graph_gives_the_torch_features(backbones):
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 255, (200 + 10 * i, 260, 3), dtype=np.uint8)) for i in range(3)]
    onnx, torch = (backbone.features(images) for backbone in backbones)
    assert onnx.shape == (3, FEATURES) and np.abs(onnx - torch).max() < 1e-3
    assert not np.allclose(onnx[0], onnx[1])


def test_file_features_are_cached_per_file_state(backbones, tmp_path):
    paths = []
    for i, colour in enumerate([(200, 30, 30), (30, 200, 30)]):
        Image.new("RGB", (300, 240), colour).save(tmp_path / f"{i}.jpg")
        paths.append(tmp_path / f"{i}.jpg")
    first = file_features(backbones[0], paths, tmp_path / "cache")
    assert len(list((tmp_path / "cache" / "image_features").iterdir())) == 1
    assert np.array_equal(file_features(backbones[0], paths, tmp_path / "cache"), first)
    Image.new("RGB", (300, 240), (30, 30, 200)).save(paths[1])  # changed file: recomputed
    assert not np.array_equal(file_features(backbones[0], paths, tmp_path / "cache")[1], first[1])


def test_the_head_is_selected_on_val_saved_and_loaded(tmp_path):
    rng = np.random.default_rng(1)
    labels = [0, 1, 2] * 40
    features = rng.normal(size=(120, FEATURES)).astype(np.float32) + np.array(labels)[:, None] * 0.3
    train, val = stratified_split(labels, 0.25, 3)
    assert sorted(train + val) == list(range(120)) and [labels[i] for i in val].count(1) == 10
    y = np.array(labels)
    head = fit_image_head(
        {"main": (features[train], y[train]), "extra": (features[val][:3], y[val][:3])},
        features[val],
        y[val],
        c_values=(0.01, 1.0),
        log=lambda _: None,
    )
    assert head.info["trained_on"][0] == "main" and len(head.info["candidates"]) == 4
    loaded = ImageHead.load(head.save(tmp_path / "head.npz"))
    assert np.allclose(loaded.probabilities(features), head.probabilities(features), atol=1e-5)
    data = LabeledImages([], list(y[val]), [], [float(v) for v in y[val]])
    figures = image_figures(head.probabilities(features[val]), data)
    assert figures["macro_recall"] > 0.6 and figures["spearman"] > 0.3


def test_the_shipped_head_is_small_and_was_chosen_on_mvsa_val():
    head = ImageHead.load(DEFAULT_IMAGE_HEAD)
    assert DEFAULT_IMAGE_HEAD.stat().st_size < 100_000 and head.coef.shape == (3, FEATURES)
    assert head.info["trained_on"][0] == "mvsa" and head.info["figures"]["mvsa_val_macro_recall"] >= 0.58
