"""Baseline for benchmarks/cleansing.py: the same cleansing rules written plainly with pandas.

One json.loads per line, per-record type checks, then pandas string methods. Not used by the
platform; it exists so the Polars path is measured against an honest, straightforward alternative.
"""

from __future__ import annotations

import json
import unicodedata

import pandas as pd

from sentiment_platform.lib.cleansing.cleaning import POST_SCHEMA, CleaningRules

_PY_TYPES = {"string": (str,), "int": (int,), "object_list": (list,)}
_URL = r"(?i)\b(?:https?://|www\.)\S+"
_MENTION = r"(^|[^\w@])@(\w{1,30})"


def _reason(line: str) -> tuple[str | None, dict | None]:
    if "\ufffd" in line:
        return "invalid_utf8", None
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return "invalid_json", None
    if not isinstance(record, dict):
        return "not_an_object", None
    for field in POST_SCHEMA.fields:
        value = record.get(field.name)
        if value is None:
            if field.required:
                return f"missing_field:{field.name}", None
            continue
        if not isinstance(value, _PY_TYPES[field.kind]) or isinstance(value, bool):
            return f"wrong_type:{field.name}", None
    return None, record


def clean_posts_pandas(data: bytes, rules: CleaningRules = CleaningRules()) -> dict[str, int]:
    """Cleanse one batch; returns the same accounting as the Polars path."""
    lines = [line for line in data.decode("utf-8", errors="replace").split("\n") if line.strip()]
    rows, rejected = [], 0
    for number, line in enumerate(lines, start=1):
        reason, record = _reason(line)
        if reason:
            rejected += 1
        else:
            record["line_no"] = number
            rows.append(record)
    frame = pd.DataFrame(rows)
    frame["created_at_ts"] = pd.to_datetime(frame["created_at"], format="ISO8601", utc=True, errors="coerce")
    bad = frame["created_at_ts"].isna() | (frame["text"].str.len() > rules.max_text_chars)
    for column in ("like_count", "repost_count", "reply_count"):
        bad |= frame[column].fillna(0) < 0
    rejected += int(bad.sum())
    frame = frame[~bad].copy()
    frame["text_clean"] = (
        frame["text"]
        .map(lambda text: unicodedata.normalize("NFKC", text))
        .str.replace(_URL, "http", regex=True)
        .str.replace(_MENTION, r"\1@user", regex=True)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    )
    empty = frame["text_clean"] == ""
    rejected += int(empty.sum())
    frame = frame[~empty].copy()
    content = ["author_id", "created_at_ts", "text", "retweet_of_id", "in_reply_to_id"]
    frame["_content"] = pd.util.hash_pandas_object(frame.reindex(columns=content).astype(str), index=False)
    frame["_rank"] = frame.groupby("id").cumcount()
    first = frame.groupby("id")["_content"].transform("first")
    later = frame["_rank"] > 0
    duplicates = int((later & (frame["_content"] == first)).sum())
    rejected += int((later & (frame["_content"] != first)).sum())
    frame = frame[~later]
    retweet = frame["retweet_of_id"].notna() | frame["text"].str.startswith("RT @")
    frame = frame[~retweet].copy()
    normalised = frame["text"].map(lambda text: unicodedata.normalize("NFKC", text))
    frame["hashtags"] = normalised.str.findall(r"#(\w+)").map(lambda tags: list(dict.fromkeys(t.lower() for t in tags)))
    frame["mentions"] = normalised.str.findall(_MENTION).map(
        lambda found: list(dict.fromkeys(m[1].lower() for m in found))
    )
    frame = frame.sort_values(["created_at_ts", "id"])
    return {
        "records_in": len(lines),
        "cleaned": len(frame),
        "duplicates": duplicates + int(retweet.sum()),
        "quarantined": rejected,
    }
