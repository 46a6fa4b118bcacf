"""Which topic a live post belongs to: keyword and hashtag rules per topic, applied as posts arrive.

Rules are written ``topic=term|term;topic=term``: a term starting with ``#`` matches that hashtag,
any other term matches as a whole word or phrase (case-insensitive, Unicode-aware). A post takes
the first topic whose rule matches; a post no rule matches is not the platform's (counted, not
landed).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_HASHTAG = re.compile(r"(?<!\w)#(\w+)")


class TopicRuleError(ValueError):
    """A rule that cannot be read; the message says which and why."""


@dataclass(frozen=True)
class TopicRule:
    topic: str
    terms: tuple[str, ...]
    words: re.Pattern | None
    hashtags: frozenset[str]

    def matches(self, text: str, hashtags: frozenset[str]) -> bool:
        return bool(self.hashtags & hashtags) or bool(self.words and self.words.search(text))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class TopicRules:
    """The configured rules, in order."""

    rules: tuple[TopicRule, ...]

    @classmethod
    def parse(cls, text: str) -> TopicRules:
        rules = []
        for part in (piece.strip() for piece in text.split(";")):
            if not part:
                continue
            topic, equals, terms = part.partition("=")
            topic = _fold(topic.strip())
            listed = [term.strip() for term in terms.split("|") if term.strip()]
            if not equals or not topic or not listed:
                raise TopicRuleError(f"topic rule {part!r}: expected topic=term|#hashtag|...")
            if len(topic) > 200:
                raise TopicRuleError(f"topic rule {part[:40]!r}...: a topic is at most 200 characters")
            hashtags = frozenset(_fold(term[1:]) for term in listed if term.startswith("#") and len(term) > 1)
            words = [re.escape(_fold(term)) for term in listed if not term.startswith("#")]
            pattern = re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)") if words else None
            rules.append(TopicRule(topic, tuple(listed), pattern, hashtags))
        if not rules:
            raise TopicRuleError("no topic rules: expected topic=term|#hashtag|...;topic=...")
        return cls(tuple(rules))

    def topic_of(self, text: str | None, tags: list[str] | tuple[str, ...] = ()) -> str | None:
        """The first topic whose rule matches ``text`` (or one of the post's own ``tags``), else None."""
        folded = _fold(text or "")
        hashtags = frozenset(_fold(tag) for tag in tags) | frozenset(_HASHTAG.findall(folded))
        return next((rule.topic for rule in self.rules if rule.matches(folded, hashtags)), None)

    @property
    def search_terms(self) -> dict[str, tuple[str, ...]]:
        """Per topic, the terms to search a network for, as configured (hashtags with their ``#``)."""
        return {rule.topic: rule.terms for rule in self.rules}


def default_topic_rules() -> str:
    """One rule per topic of the mock network: its name as a word, and its hashtags."""
    from sentiment_platform.sources.mock_network.world import TOPICS

    return ";".join(
        f"{topic}=" + "|".join([topic, *(f"#{tag}" for tag in spec["hashtags"])]) for topic, spec in TOPICS.items()
    )


def topic_lists(text: str, what: str) -> dict[str, list[str]]:
    """``topic=a|b;topic=c`` (feeds, subreddits) as ``{topic: [a, b], ...}``; ``what`` names the
    setting in the error."""
    lists: dict[str, list[str]] = {}
    for part in (piece.strip() for piece in text.split(";")):
        if not part:
            continue
        topic, equals, values = part.partition("=")
        listed = [value.strip() for value in values.split("|") if value.strip()]
        if not equals or not topic.strip() or not listed:
            raise TopicRuleError(f"{what} {part!r}: expected topic=a|b;topic=c")
        lists.setdefault(_fold(topic.strip()), []).extend(listed)
    if not lists:
        raise TopicRuleError(f"no {what}: expected topic=a|b;topic=c")
    return lists
