"""Recommendation logic on small hand-made frames: the hold-out, the blend, the metrics."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from sentiment_platform.lib.recommendations import (
    RecommendationSettings,
    blend,
    popular_for_users,
    popular_posts,
    precision_recall_at_k,
    time_split,
    topic_affinity,
    weighted_interactions,
)

T0 = datetime(2026, 11, 20, tzinfo=UTC)


def interactions(rows) -> pl.DataFrame:
    return pl.DataFrame(
        [{"user_id": u, "post_id": p, "type": t, "created_at": T0 + timedelta(minutes=m)} for u, p, t, m in rows]
    )


def test_weights_add_up_per_user_and_post_and_unknown_types_are_ignored():
    weighted = weighted_interactions(
        interactions(
            [
                ("a", "p1", "like", 0),
                ("a", "p1", "repost", 1),
                ("a", "p2", "reply", 2),
                ("b", "p1", "view", 3),
            ]
        ),
        RecommendationSettings().weights,
    )
    assert weighted.select("user_id", "post_id", "weight").rows() == [("a", "p1", 4.0), ("a", "p2", 2.0)]


def test_the_hold_out_keeps_each_posts_latest_interactions():
    frame = interactions(
        [
            ("a", "p1", "like", 0),
            ("b", "p1", "like", 5),
            ("c", "p1", "like", 9),
            ("d", "p1", "like", 12),
            ("e", "p1", "like", 20),
            ("a", "p2", "like", 1),
        ]
    )
    train, test = time_split(frame, 0.2)
    assert test.select("user_id", "post_id").rows() == [("e", "p1")]  # the last of five; p2 has one only
    assert train.height == 5 and train["created_at"].max() < test["created_at"].min()


def test_the_blend_skips_seen_posts_and_weighs_popularity_model_and_topic_affinity():
    candidates = pl.DataFrame({"user_id": ["a"] * 3, "post_id": ["p1", "p2", "p3"], "model_score": [0.9, 0.8, 0.1]})
    seen = pl.DataFrame({"user_id": ["a", "a"], "post_id": ["p1", "p9"], "weight": [1.0, 1.0]})
    posts = pl.DataFrame(
        {
            "post_id": ["p1", "p2", "p3", "p9"],
            "topic": ["tech", "tech", "sports", "sports"],
            "score": [0.5, 0.5, 0.5, 1.0],
        }
    )
    popularity = pl.DataFrame({"post_id": ["p1", "p2", "p3"], "popularity": [1.0, 0.5, 0.45]})
    affinity = topic_affinity(seen, posts)
    assert affinity.sort("topic").rows() == [("a", "sports", 1.0), ("a", "tech", 0.75)]
    ranked = blend(candidates, seen, affinity, posts, popularity, RecommendationSettings())
    assert ranked["post_id"].to_list() == ["p2", "p3"] and ranked["rank"].to_list() == [1, 2]
    # p2: 0.5 x (0.1 + 0.5 x 0.8 / 0.9 + 0.75)
    assert ranked["score"][0] == pytest.approx(0.5 * (0.1 + 0.5 * 0.8 / 0.9 + 0.75))
    reranked = blend(candidates, seen, affinity, posts, popularity, RecommendationSettings(affinity_weight=5.0))
    assert reranked["post_id"].to_list() == ["p3", "p2"]


def test_popular_baseline_and_metrics():
    weighted = weighted_interactions(
        interactions(
            [
                ("a", "p1", "like", 0),
                ("b", "p1", "like", 1),
                ("c", "p2", "repost", 2),
                ("a", "p3", "like", 3),
            ]
        ),
        RecommendationSettings().weights,
    )
    popular = popular_posts(weighted, 3)
    assert popular["post_id"].to_list() == ["p2", "p1", "p3"]
    recommended = popular_for_users(["a", "d"], popular, weighted, top_k=2)
    assert recommended.filter(pl.col("user_id") == "a")["post_id"].to_list() == ["p2"]  # p1, p3 already seen
    relevant = pl.DataFrame({"user_id": ["a", "d", "d"], "post_id": ["p2", "p9", "p1"]})
    scores = precision_recall_at_k(recommended, relevant, k=2)
    # a: 1 hit of 1 relevant; d: recommended p2, p1 -> 1 hit of 2 relevant.
    assert scores["precision_at_k"] == pytest.approx((0.5 + 0.5) / 2)
    assert scores["recall_at_k"] == pytest.approx((1.0 + 0.5) / 2) and scores["users"] == 2
