"""A post scored as a whole: text and image probabilities fused, or the one a post has."""

import numpy as np

from sentiment_platform.lib.scoring.post_fusion import DEFAULT_POST_FUSION, PostFusion, fit_post_fusion


def onehot(labels, strength, rng):
    noisy = rng.dirichlet(np.ones(3), size=len(labels))
    return (1 - strength) * noisy + strength * np.eye(3)[labels]


def test_fusion_beats_either_alone_when_each_sees_part_of_the_label_and_saves(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 600)
    # Each source is right on a different half of the posts, uninformative on the other.
    text_sees, image_sees = rng.random(600) < 0.5, rng.random(600) < 0.5
    text = np.where(text_sees[:, None], onehot(labels, 0.6, rng), onehot(rng.integers(0, 3, 600), 0.0, rng))
    image = np.where(image_sees[:, None], onehot(labels, 0.6, rng), onehot(rng.integers(0, 3, 600), 0.0, rng))
    text[5] = np.nan  # a post whose text no model covers: left out of the fit
    fusion = fit_post_fusion(
        (text[:400], image[:400], labels[:400]), (text[400:], image[400:], labels[400:]), log=print
    )
    recall = fusion.info["val_macro_recall"]
    assert recall["fused"] > max(recall["text"], recall["image"]) + 0.03
    loaded = PostFusion.load(fusion.save(tmp_path / "fusion.npz"))
    assert np.allclose(loaded.fuse(text[400:], image[400:]), fusion.fuse(text[400:], image[400:]), atol=1e-5)


def test_a_post_with_one_source_keeps_it_and_one_with_none_has_none():
    fusion = PostFusion.load(DEFAULT_POST_FUSION)
    text = np.array([[0.1, 0.2, 0.7], [np.nan] * 3, [np.nan] * 3, [0.6, 0.3, 0.1]])
    image = np.array([[np.nan] * 3, [0.2, 0.2, 0.6], [np.nan] * 3, [0.5, 0.3, 0.2]])
    fused = fusion.fuse(text, image)
    assert np.allclose(fused[0], text[0]) and np.allclose(fused[1], image[1]) and np.isnan(fused[2]).all()
    assert np.isclose(fused[3].sum(), 1) and fused[3].argmax() == 0
    assert fusion.info["val_macro_recall"]["fused"] >= fusion.info["val_macro_recall"]["text"] + 0.03
