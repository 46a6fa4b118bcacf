import io
import random

import numpy as np
import pytest
from PIL import Image

from sentiment_platform.lib.scoring.fitting.evaluation import evaluate_image_model
from sentiment_platform.lib.scoring.images.image_models import (
    AffectImageModel,
    ClipImageModel,
    colour_features,
)
from sentiment_platform.lib.scoring.images.image_scoring import image_score_counts, score_image_files
from sentiment_platform.sources.mock_network.images import (
    decompression_bomb_png,
    held_out_images,
    render_image,
)
from sentiment_platform_tests.lib.scoring.tiny_models import tiny_clip


def png(colour, size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_colour_features_follow_brightness_and_colour():
    dark, grey, vivid = (
        colour_features(Image.new("RGB", (32, 32), c)) for c in [(20, 20, 30), (180, 180, 180), (255, 140, 0)]
    )
    assert dark[0] < 0.15 < grey[0]
    assert grey[1] < 0.1 < vivid[1]
    assert vivid[2] > 0.5 and abs(grey[2]) < 1e-6


def test_affect_model_reads_dark_grey_and_vivid_images():
    frame = score_image_files([png((15, 15, 35)), png((190, 190, 195)), png((255, 160, 40))], AffectImageModel())
    assert frame["label"].to_list() == ["negative", "neutral", "positive"]


def test_corrupt_truncated_missing_and_bomb_images_get_a_status_not_a_score():
    rng = random.Random(3)
    good, ext = render_image("positive", rng)
    files = [good, good[: len(good) // 2], b"not an image at all", b"", None, decompression_bomb_png(50_000, 50_000)]
    frame = score_image_files(files, AffectImageModel())
    counts = image_score_counts(frame)
    statuses = frame["status"].to_list()
    assert statuses[0] == "ok" and statuses[4] == "missing"
    assert statuses[5] == "invalid:decompression_bomb"
    assert statuses[3] == "invalid:empty_file"
    assert statuses[1].startswith("invalid:corrupt") and statuses[2] == "invalid:not_an_image"
    assert frame["score"].null_count() == len(files) - 1
    assert counts["scored"] == 1 and counts["status_missing"] == 1


def test_the_mock_images_carry_no_colour_cue_a_colour_rule_could_learn():
    report = evaluate_image_model(AffectImageModel(), *held_out_images(per_class=40))
    assert report["n"] == 120 and report["macro_recall"] < 0.5


def test_clip_backend_with_a_tiny_random_model(tmp_path):
    prompts = {
        "negative": ["a sad photo"],
        "neutral": ["a plain photo", "an ordinary photo"],
        "positive": ["a happy photo"],
    }
    model = ClipImageModel(str(tiny_clip(tmp_path / "clip")), prompts=prompts)
    frame = score_image_files([png((10, 10, 10)), png((250, 200, 0), (80, 30)), b"garbage"], model)
    assert frame["status"].to_list() == ["ok", "ok", "invalid:not_an_image"]
    probs = frame.head(2).select("p_negative", "p_neutral", "p_positive").to_numpy()
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    # The class probability is the sum over that class's prompts, as the pipeline itself scores them.
    raw = model._pipeline([Image.open(io.BytesIO(png((10, 10, 10))))], candidate_labels=list(model._prompt_class))[0]
    neutral = sum(item["score"] for item in raw if item["label"] in prompts["neutral"])
    assert probs[0, 1] == pytest.approx(neutral, abs=1e-5)
    assert frame["model"][0] == f"clip:{tmp_path / 'clip'}"


def test_clip_backend_needs_prompts_for_every_class(tmp_path):
    with pytest.raises(ValueError):
        ClipImageModel(str(tiny_clip(tmp_path / "clip")), prompts={"negative": ["sad"], "positive": ["happy"]})
