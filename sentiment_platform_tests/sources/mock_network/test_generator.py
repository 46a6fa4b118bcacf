from collections import Counter
from dataclasses import replace
from datetime import timedelta

import orjson

from sentiment_platform.lib.cleansing.image_validation import validate_image
from sentiment_platform.sources.mock_network import MockFeedConfig, generate_hour
from sentiment_platform.sources.mock_network.world import TOPICS, topic_mood
from sentiment_platform_tests.conftest import HOUR


def parsed(batch):
    out = []
    for record in batch.posts:
        try:
            value = orjson.loads(record.line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


def test_same_seed_and_hour_give_the_same_bytes_and_another_seed_differs():
    config = MockFeedConfig(seed=11)
    first = generate_hour.__wrapped__(HOUR, config)
    second = generate_hour.__wrapped__(HOUR, config)
    assert [r.line for r in first.posts] == [r.line for r in second.posts]
    assert [i.data for i in first.images] == [i.data for i in second.images]
    other = generate_hour.__wrapped__(HOUR, replace(config, seed=12))
    assert [r.line for r in other.posts] != [r.line for r in first.posts]


def test_an_hour_has_the_variety_the_platform_must_handle():
    batch = generate_hour(HOUR, MockFeedConfig())
    posts = parsed(batch)
    assert 900 < len(batch.posts) < 1600
    assert all(HOUR <= r.emit_at < HOUR + timedelta(hours=1) for r in batch.posts)
    langs = Counter(p.get("lang") for p in posts)
    assert 0.5 < langs["en"] / len(posts) < 0.75
    assert {"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "bo"} <= set(langs)
    assert min(langs[lang] for lang in ("es", "fr", "de", "it", "pt", "ar", "hi", "ja")) >= 15
    assert sum("retweet_of_id" in p for p in posts) > 30
    assert sum("in_reply_to_id" in p for p in posts) > 80
    assert len({p.get("topic") for p in posts}) == len(TOPICS)
    texts = " ".join(str(p.get("text")) for p in posts)
    assert "#" in texts and "@" in texts and "https://t.co/" in texts and "😍" in texts
    lines = [r.line for r in batch.posts]
    assert len(lines) - len(set(lines)) > 5  # exact duplicates
    broken = 0
    for line in lines:
        try:
            value = orjson.loads(line)
            broken += not isinstance(value, dict) or not all(isinstance(value.get(k), str) for k in ("id", "text"))
        except orjson.JSONDecodeError:
            broken += 1
    assert broken >= 3
    with_images = [p for p in posts if p.get("media") and "retweet_of_id" not in p]
    originals = [p for p in posts if "retweet_of_id" not in p and "in_reply_to_id" not in p]
    assert 0.12 < len(with_images) / len(originals) < 0.3
    checks = Counter(validate_image(image.data).ok for image in batch.images)
    assert checks[True] > 100 and checks[False] >= 1
    kinds = Counter()
    for record in batch.interactions:
        try:
            kinds[orjson.loads(record.line).get("type")] += 1
        except (orjson.JSONDecodeError, AttributeError):
            pass
    assert kinds["like"] > kinds["reply"] > 0 and kinds["repost"] > 0
    assert len(batch.users) > 100


def test_image_colours_carry_no_sentiment_and_memes_carry_a_caption():
    import io
    import random

    from PIL import Image, ImageStat

    from sentiment_platform.sources.mock_network.images import render_image

    def mean_hsv(sentiment):
        rng = random.Random(3)
        stats = [
            ImageStat.Stat(Image.open(io.BytesIO(render_image(sentiment, rng)[0])).convert("HSV")).mean
            for _ in range(40)
        ]
        return [sum(s[band] for s in stats) / len(stats) for band in range(3)]

    # The sentiment is in the drawn objects, not in brightness or saturation (which are random).
    means = {sentiment: mean_hsv(sentiment) for sentiment in ("positive", "neutral", "negative")}
    for band in (1, 2):
        values = [m[band] for m in means.values()]
        assert max(values) - min(values) < 20
    plain, _ = render_image("negative", random.Random(8))
    meme, _ = render_image("negative", random.Random(8), "worst day ever")
    top = (0, 0, 320, 40)
    assert Image.open(io.BytesIO(plain)).crop(top).tobytes() != Image.open(io.BytesIO(meme)).crop(top).tobytes()


def test_topic_sentiment_drifts_over_time():
    moods = [topic_mood("tech", HOUR + timedelta(hours=h), 7) for h in range(48)]
    assert max(moods) - min(moods) > 0.5


def test_malformed_share_is_configurable():
    clean = generate_hour.__wrapped__(HOUR, MockFeedConfig(malformed_share=0.0, duplicate_share=0.0))
    for record in clean.posts:
        assert isinstance(orjson.loads(record.line).get("text"), str)
