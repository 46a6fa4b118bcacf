"""The content of one hour of the mock network, generated deterministically from the seed."""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import accumulate
from typing import Any

import orjson

from sentiment_platform.lib.lake_layout import landing_image_key
from sentiment_platform.sources.mock_network.config import MockFeedConfig
from sentiment_platform.sources.mock_network.images import corrupt_image, meme_caption, render_image
from sentiment_platform.sources.mock_network.phrasebook import OTHER_LANGUAGES, compose_sentence
from sentiment_platform.sources.mock_network.world import (
    EMOJI,
    SENTIMENTS,
    TOPICS,
    User,
    following,
    population,
    sentiment_weights,
    topic_mood,
)

#: Required keys of each dataset; the malformed records the feed emits break these on purpose.
REQUIRED_KEYS = {
    "posts": ("id", "author_id", "created_at", "text"),
    "users": ("user_id", "handle"),
    "interactions": ("interaction_id", "type", "user_id", "post_id", "created_at"),
}


@dataclass(frozen=True)
class LandingRecord:
    """One JSON line as the network sends it, with the moment it is sent."""

    emit_at: datetime
    line: bytes


@dataclass(frozen=True)
class LandingImage:
    """One image file as the network sends it."""

    emit_at: datetime
    key: str
    data: bytes


@dataclass
class HourBatch:
    """Everything the network sends during one hour."""

    hour: datetime
    posts: list[LandingRecord] = field(default_factory=list)
    users: list[LandingRecord] = field(default_factory=list)
    interactions: list[LandingRecord] = field(default_factory=list)
    images: list[LandingImage] = field(default_factory=list)

    def records(self, dataset: str) -> list[LandingRecord]:
        return getattr(self, dataset)


def iso(moment: datetime) -> str:
    """ISO-8601 UTC timestamp with milliseconds, as the feed writes them."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _compose_text(rng: random.Random, topic: str, sentiment: str, lang: str, handles: list[str]) -> str:
    parts = [compose_sentence(rng, lang, sentiment, topic, TOPICS[topic]["subjects"])]
    if rng.random() < 0.3:
        parts.append(rng.choice(["!!", "...", "!", "?!"]) if sentiment != "neutral" else ".")
    if handles and rng.random() < 0.25:
        parts.append(f"cc @{rng.choice(handles)}")
    for tag in rng.sample(TOPICS[topic]["hashtags"], k=rng.choice([0, 1, 1, 2, 3])):
        parts.append(f"#{tag}" if rng.random() < 0.8 else f"#{tag.upper()}")
    if rng.random() < 0.6:
        parts.append("".join(rng.choices(EMOJI[sentiment], k=rng.randint(1, 3))))
    if rng.random() < 0.15:
        parts.append(f"https://t.co/{rng.getrandbits(40):010x}")
    spacing = "  " if rng.random() < 0.05 else " "  # the odd double space, for normalisation
    return spacing.join(parts)


def _hour_volume(hour: datetime, config: MockFeedConfig, rng: random.Random) -> int:
    # Busier evenings (UTC), quieter nights.
    daily = 0.75 + 0.5 * (0.5 + 0.5 * math.sin(2 * math.pi * (hour.hour - 13) / 24))
    return max(0, round(config.posts_per_hour * daily * rng.uniform(0.95, 1.05)))


def _malformed(rng: random.Random, record: dict[str, Any], dataset: str, line: bytes) -> bytes:
    """A broken copy of ``record``: bad JSON, a missing key, a wrong type, oversize text, etc."""
    kinds = ["broken_json", "missing_field", "wrong_type", "not_an_object"]
    if dataset == "posts":
        kinds += ["oversize_text", "bad_timestamp", "invalid_utf8"]
    kind = rng.choice(kinds)
    broken = dict(record)
    if kind == "broken_json":
        return line[: max(1, len(line) // 2)]
    if kind == "not_an_object":
        return orjson.dumps([record.get(key) for key in REQUIRED_KEYS[dataset]])
    if kind == "missing_field":
        broken.pop(rng.choice(REQUIRED_KEYS[dataset]))
    elif kind == "wrong_type":
        key = rng.choice(REQUIRED_KEYS[dataset])
        broken[key] = rng.choice([12345, {"value": broken[key]}, ["x"], True])
    elif kind == "oversize_text":
        broken["text"] = (broken["text"] + " ") * (12_000 // max(1, len(broken["text"])) + 1)
    elif kind == "bad_timestamp":
        broken["created_at"] = rng.choice(["yesterday", "2026-13-45T99:00:00Z", ""])
    elif kind == "invalid_utf8":
        return orjson.dumps(broken).replace(b'"text":"', b'"text":"\xff\xfe', 1)
    return orjson.dumps(broken)


def _serialise(
    rng: random.Random, dataset: str, records: list[tuple[datetime, dict[str, Any]]], config: MockFeedConfig
) -> list[LandingRecord]:
    """JSON lines for ``records``, with the configured share of exact duplicates and broken ones."""
    out: list[LandingRecord] = []
    for emit_at, record in records:
        line = orjson.dumps(record)
        if rng.random() < config.malformed_share:
            out.append(LandingRecord(emit_at, _malformed(rng, record, dataset, line)))
            continue
        out.append(LandingRecord(emit_at, line))
        if rng.random() < config.duplicate_share:
            resend = min(emit_at + timedelta(seconds=rng.uniform(1, 120)), emit_at.replace(minute=59, second=59))
            out.append(LandingRecord(resend, line))
    out.sort(key=lambda item: item.emit_at)
    return out


def _followers(user: User, hour: datetime) -> int:
    grown = user.base_followers * (1.0 + 0.0004 * (hour - user.created_at).total_seconds() / 3600 / 24)
    return int(grown)


@dataclass
class _HourContent:
    """One hour of the network as it is generated: what has been posted and done so far. Every
    draw comes from the hour's ``rng`` in a fixed order, so the same hour gives the same bytes."""

    hour: datetime
    config: MockFeedConfig
    rng: random.Random
    users: list[User]
    posts: list[dict[str, Any]] = field(default_factory=list)
    post_times: list[datetime] = field(default_factory=list)
    originals: list[int] = field(default_factory=list)
    by_topic: dict[str, list[int]] = field(default_factory=lambda: {topic: [] for topic in TOPICS})
    interactions: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)
    images: list[LandingImage] = field(default_factory=list)
    author_of: dict[str, User] = field(default_factory=dict)

    def interaction(self, kind: str, user: User, post_id: str, at: datetime) -> None:
        self.interactions.append(
            (
                at,
                {
                    "interaction_id": f"i{self.hour:%Y%m%d%H}{len(self.interactions):07d}",
                    "type": kind,
                    "user_id": user.user_id,
                    "post_id": post_id,
                    "created_at": iso(at),
                },
            )
        )

    def post(self, index: int, created: datetime, author: User, moods: dict[str, float]) -> None:
        """The ``index``-th post of the hour: a repost, a reply or an original (with an image, maybe)."""
        rng, config = self.rng, self.config
        post_id = f"p{self.hour:%Y%m%d%H}{index:06d}"
        roll = rng.random()
        record: dict[str, Any] = {"id": post_id, "author_id": author.user_id, "created_at": iso(created)}
        record["source"] = "mockfeed"
        if self.originals and roll < config.retweet_share:
            original = self.posts[rng.choice(self.originals)]
            record.update(
                text=f"RT @{self.author_of[original['id']].handle}: {original['text']}",
                lang=original["lang"],
                topic=original["topic"],
                retweet_of_id=original["id"],
            )
            self.interaction("repost", author, original["id"], created)
        else:
            replying = bool(self.originals) and roll < config.retweet_share + config.reply_share
            parent = self.posts[rng.choice(self.originals)] if replying else None
            topic = parent["topic"] if parent else rng.choices(list(TOPICS), weights=author.topic_affinity)[0]
            sentiment = rng.choices(SENTIMENTS, weights=sentiment_weights(moods[topic]))[0]
            lang = author.language if author.language == "en" or rng.random() < 0.85 else "en"
            if rng.random() < config.non_english_share * 0.25 and lang == "en":
                lang = rng.choice(OTHER_LANGUAGES)
            text = _compose_text(rng, topic, sentiment, lang, [user.handle for user in self.users])
            record.update(text=text, lang=lang, topic=topic)
            if parent:
                record["text"] = f"@{self.author_of[parent['id']].handle} {text}"
                record["in_reply_to_id"] = parent["id"]
                self.interaction("reply", author, parent["id"], created)
            else:
                if rng.random() < config.image_share:
                    record["media"] = [self.image(created, sentiment)]
                self.originals.append(index)
                self.by_topic[topic].append(index)
        self.posts.append(record)
        self.post_times.append(created)
        self.author_of[post_id] = author

    def image(self, created: datetime, sentiment: str) -> dict[str, str]:
        """An image for an original post (now and then a corrupt one, or a reference to no file)."""
        rng, config = self.rng, self.config
        caption = meme_caption(sentiment, rng) if rng.random() < config.meme_share else None
        data, extension = render_image(sentiment, rng, caption)
        if rng.random() < config.corrupt_image_share:
            data, extension, _ = corrupt_image(rng, data, extension)
        key = landing_image_key(hashlib.sha256(data).hexdigest(), extension)
        if rng.random() >= config.corrupt_image_share / 5:  # else: a reference to no file
            self.images.append(LandingImage(created, key, data))
        return {
            "media_key": key.rsplit("/", 1)[1].split(".")[0][:16],
            "type": "photo",
            "path": key,
            "alt_text": caption or "",
        }

    def likes(self) -> None:
        """Likes: mostly posts of the accounts the user follows, otherwise posts about the topics
        they care about; some posts catch on more than others (their appeal). What recommendations
        learn. Then each post's counts of likes, reposts and replies."""
        rng, users, posts = self.rng, self.users, self.posts
        follows = following(self.config.seed, self.config.users)
        index_of = {user.user_id: position for position, user in enumerate(users)}
        appeal = [rng.lognormvariate(0.0, 1.0) for _ in posts]
        by_author: dict[int, list[int]] = {}
        for index in self.originals:
            by_author.setdefault(index_of[posts[index]["author_id"]], []).append(index)
        cumulative = {topic: list(accumulate(appeal[i] for i in self.by_topic[topic])) for topic in TOPICS}
        activity = [user.activity for user in users]
        end = self.hour + timedelta(hours=1) - timedelta(milliseconds=1)
        for _ in range(round(len(self.originals) * self.config.likes_per_post)):
            liker = rng.choices(range(len(users)), weights=activity)[0]
            followed = [i for author in follows[liker] for i in by_author.get(author, ())]
            if followed and rng.random() < self.config.follow_like_share:
                target = rng.choices(followed, weights=[appeal[i] for i in followed])[0]
            else:
                topic = rng.choices(list(TOPICS), weights=users[liker].topic_affinity)[0]
                if not self.by_topic[topic]:
                    continue
                target = rng.choices(self.by_topic[topic], cum_weights=cumulative[topic])[0]
            at = min(self.post_times[target] + timedelta(seconds=rng.expovariate(1 / 600)), end)
            self.interaction("like", users[liker], posts[target]["id"], at)
        counts = Counter((item["type"], item["post_id"]) for _, item in self.interactions)
        for record in posts:
            for kind in ("like", "repost", "reply"):
                record[f"{kind}_count"] = counts[(kind, record["id"])]

    def profiles(self) -> list[tuple[datetime, dict[str, Any]]]:
        """The profile of every user active this hour, observed when they first acted."""
        active: dict[str, datetime] = {}
        for at, user_id in [*zip(self.post_times, (p["author_id"] for p in self.posts))] + [
            (at, item["user_id"]) for at, item in self.interactions
        ]:
            active.setdefault(user_id, at)
        by_id = {user.user_id: user for user in self.users}
        return [
            (
                at,
                {
                    "user_id": user_id,
                    "handle": by_id[user_id].handle,
                    "name": by_id[user_id].name,
                    "location": by_id[user_id].location,
                    "followers_count": _followers(by_id[user_id], self.hour),
                    "language": by_id[user_id].language,
                    "created_at": iso(by_id[user_id].created_at),
                    "observed_at": iso(at),
                },
            )
            for user_id, at in active.items()
        ]


@lru_cache(maxsize=4)
def generate_hour(hour: datetime, config: MockFeedConfig = MockFeedConfig()) -> HourBatch:
    """All posts, users, interactions and images the network sends during ``hour`` (UTC).

    Deterministic: the same hour and config always give the same bytes, so a backfill or a second
    run lands exactly what the first did.
    """
    rng = random.Random(f"hour:{config.seed}:{hour:%Y%m%d%H}")
    users = population(config.seed, config.users)
    moods = {topic: topic_mood(topic, hour + timedelta(minutes=30), config.seed) for topic in TOPICS}
    count = _hour_volume(hour, config, rng)
    seconds = sorted(rng.uniform(0, 3599.999) for _ in range(count))
    authors = rng.choices(users, weights=[user.activity for user in users], k=count)
    content = _HourContent(hour, config, rng, users)
    for index in range(count):
        content.post(index, hour + timedelta(seconds=seconds[index]), authors[index], moods)
    content.likes()
    return HourBatch(
        hour=hour,
        posts=_serialise(rng, "posts", list(zip(content.post_times, content.posts)), config),
        users=_serialise(rng, "users", content.profiles(), config),
        interactions=_serialise(rng, "interactions", content.interactions, config),
        images=content.images,
    )
