"""The vocabulary and the population of the mock network: topics, users, mood drift."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

SENTIMENTS = ("negative", "neutral", "positive")

TOPICS: dict[str, dict[str, list[str]]] = {
    "tech": {
        "subjects": [
            "the new phone",
            "the latest software update",
            "this AI assistant",
            "the laptop launch",
            "the cloud outage",
            "the new smartwatch",
        ],
        "hashtags": ["tech", "ai", "gadgets", "android", "iphone", "startup"],
    },
    "sports": {
        "subjects": [
            "the match tonight",
            "our team",
            "the referee",
            "the transfer news",
            "the final score",
            "the marathon",
        ],
        "hashtags": ["football", "nba", "worldcup", "marathon", "gameday"],
    },
    "politics": {
        "subjects": [
            "the debate",
            "the new bill",
            "the election results",
            "the senator's speech",
            "the budget plan",
            "the city council",
        ],
        "hashtags": ["politics", "election", "policy", "vote"],
    },
    "climate": {
        "subjects": [
            "the heatwave",
            "the new solar farm",
            "the climate summit",
            "the flood warnings",
            "the recycling program",
            "the wildfire season",
        ],
        "hashtags": ["climate", "climatechange", "solar", "sustainability", "weather"],
    },
    "entertainment": {
        "subjects": [
            "the new movie",
            "the concert",
            "the season finale",
            "the album drop",
            "the award show",
            "the trailer",
        ],
        "hashtags": ["movies", "music", "netflix", "concert", "tv"],
    },
    "travel": {
        "subjects": [
            "my flight",
            "the hotel",
            "the airport queue",
            "the beach trip",
            "the train delay",
            "the city tour",
        ],
        "hashtags": ["travel", "vacation", "wanderlust", "airport", "roadtrip"],
    },
}

EMOJI = {
    "positive": ["😍", "😊", "🎉", "👍", "🔥", "❤️"],
    "negative": ["😡", "😢", "👎", "💔", "😤", "🙄"],
    "neutral": ["🤔", "📰", "👀", "📌"],
}

FIRST_NAMES = [
    "Ana",
    "Ben",
    "Chloe",
    "Diego",
    "Emma",
    "Farah",
    "Gus",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
]
LAST_NAMES = [
    "Smith",
    "García",
    "Müller",
    "Dubois",
    "Silva",
    "Khan",
    "Nguyen",
    "Okafor",
    "Rossi",
    "Kim",
    "Novak",
    "Cohen",
    "Larsen",
    "Tanaka",
    "Moreau",
]
LOCATIONS = [
    "London",
    "New York",
    "Madrid",
    "Paris",
    "Berlin",
    "São Paulo",
    "Lagos",
    "Mumbai",
    "Tokyo",
    "Sydney",
    "Toronto",
    "Mexico City",
    "",
    "Earth",
]
#: Users' languages and their shares (the phrases of each are in ``phrasebook``).
LANGUAGES = [
    ("en", 0.60),
    ("es", 0.08),
    ("pt", 0.06),
    ("fr", 0.05),
    ("ar", 0.05),
    ("de", 0.04),
    ("it", 0.04),
    ("hi", 0.04),
    ("ja", 0.03),
    ("bo", 0.01),
]


@dataclass(frozen=True)
class User:
    """A member of the mock network; ``topic_affinity`` is hidden and drives what they like."""

    user_id: str
    handle: str
    name: str
    location: str
    language: str
    base_followers: int
    created_at: datetime
    topic_affinity: tuple[float, ...]
    activity: float


@lru_cache(maxsize=4)
def population(seed: int, size: int) -> tuple[User, ...]:
    """The users of the network, the same for a given seed and size."""
    rng = random.Random(f"users:{seed}")
    topics = list(TOPICS)
    languages, weights = zip(*LANGUAGES)
    users = []
    for index in range(size):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        affinity = [rng.random() ** 3 for _ in topics]
        favourite = rng.randrange(len(topics))
        affinity[favourite] += 1.0
        total = sum(affinity)
        users.append(
            User(
                user_id=f"u{index:06d}",
                handle=f"{first.lower()}_{last.lower().replace('ü', 'u').replace('í', 'i')}{index}",
                name=f"{first} {last}",
                location=rng.choice(LOCATIONS),
                language=rng.choices(languages, weights)[0],
                base_followers=int(rng.lognormvariate(5.0, 1.6)),
                created_at=datetime(2020, 1, 1, tzinfo=UTC).replace(
                    year=2015 + rng.randrange(10), month=1 + rng.randrange(12)
                ),
                topic_affinity=tuple(value / total for value in affinity),
                activity=rng.lognormvariate(0.0, 0.8),
            )
        )
    return tuple(users)


def topic_mood(topic: str, moment: datetime, seed: int) -> float:
    """Mean mood of a topic at ``moment`` in [-1, 1]: slow waves plus a weekly swing, so trends move."""
    rng = random.Random(f"mood:{seed}:{topic}")
    base = rng.uniform(-0.3, 0.4)
    period_hours = rng.uniform(9.0, 30.0)
    phase = rng.uniform(0.0, 2 * math.pi)
    hours = moment.timestamp() / 3600.0
    value = (
        base
        + 0.45 * math.sin(2 * math.pi * hours / period_hours + phase)
        + 0.2 * math.sin(2 * math.pi * hours / (24 * 7) + phase / 2)
    )
    return max(-1.0, min(1.0, value))


def sentiment_weights(mood: float) -> tuple[float, float, float]:
    """Chances of negative, neutral and positive posts for a topic mood."""
    negative, neutral, positive = math.exp(-1.8 * mood), 1.1, math.exp(1.8 * mood)
    total = negative + neutral + positive
    return negative / total, neutral / total, positive / total


@lru_cache(maxsize=4)
def following(seed: int, size: int, per_user: int = 25) -> tuple[tuple[int, ...], ...]:
    """For each user (by index), the accounts they follow: popular accounts are followed more.

    Drawn from its own random stream, so adding it changed none of the users' other attributes.
    """
    users = population(seed, size)
    weights = [math.log1p(user.base_followers) + 0.1 for user in users]
    follows = []
    for index in range(size):
        rng = random.Random(f"follows:{seed}:{index}")
        chosen = set(rng.choices(range(size), weights=weights, k=per_user)) - {index}
        follows.append(tuple(sorted(chosen)))
    return tuple(follows)
