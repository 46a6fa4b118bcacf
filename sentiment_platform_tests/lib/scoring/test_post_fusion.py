"""A post scored as a whole: text, image and image-text probabilities fused, or the one a post has."""

import numpy as np

from sentiment_platform.lib.scoring.post_fusion import DEFAULT_POST_FUSION, PostFusion, fit_post_fusion


def onehot(labels, strength, rng):
    noisy = rng.dirichlet(np.ones(3), size=len(labels))
    return (1 - strength) * noisy + strength * np.eye(3)[labels]


def source(labels, sees, rng):
    """Right on the posts it ``sees``, uninformative on the others."""
    return np.where(sees[:, None], onehot(labels, 0.6, rng), onehot(rng.integers(0, 3, len(labels)), 0.0, rng))


def test_fusion_beats_either_alone_uses_the_text_in_images_and_saves(tmp_path):
    rng = np.random.default_rng(0)
    n = 900
    labels = rng.integers(0, 3, n)
    text, image = source(labels, rng.random(n) < 0.4, rng), source(labels, rng.random(n) < 0.4, rng)
    # A third of the images have text, and it tells the label.
    read = np.where((rng.random(n) < 0.33)[:, None], onehot(labels, 0.8, rng), np.nan)
    text[5] = np.nan  # a post whose text no model covers: left out of the fit
    train, val = slice(0, 600), slice(600, n)
    fusion = fit_post_fusion(
        (text[train], image[train], read[train], labels[train]), (text[val], image[val], read[val], labels[val])
    )
    recall = fusion.info["val_macro_recall"]
    assert recall["fused"] > max(recall["text"], recall["image"]) + 0.03
    assert fusion.info["uses_image_text"] and recall["fused"] > recall["fused_without_image_text"] + 0.03
    assert 0.25 < fusion.info["val_image_text_share"] < 0.4
    loaded = PostFusion.load(fusion.save(tmp_path / "fusion.npz"))
    fused = fusion.fuse(text[val], image[val], read[val])
    assert np.allclose(loaded.fuse(text[val], image[val], read[val]), fused, atol=1e-5)
    # Without text in its images, a post is fused from its text and image alone.
    assert not np.allclose(fusion.fuse(text[val], image[val]), fused)


def test_a_post_with_one_source_keeps_it_and_one_with_none_has_none():
    fusion = PostFusion.load(DEFAULT_POST_FUSION)
    text = np.array([[0.1, 0.2, 0.7], [np.nan] * 3, [np.nan] * 3, [0.6, 0.3, 0.1]])
    image = np.array([[np.nan] * 3, [0.2, 0.2, 0.6], [np.nan] * 3, [0.5, 0.3, 0.2]])
    fused = fusion.fuse(text, image)
    assert np.allclose(fused[0], text[0]) and np.allclose(fused[1], image[1]) and np.isnan(fused[2]).all()
    assert np.isclose(fused[3].sum(), 1) and fused[3].argmax() == 0
    assert fusion.info["val_macro_recall"]["fused"] >= fusion.info["val_macro_recall"]["text"] + 0.03
