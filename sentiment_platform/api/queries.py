"""The API's SQL: parameterised statements only (values are never formatted into SQL text; the
table names come from the warehouse's schema, shared with the assets that write the tables)."""

from __future__ import annotations

from sentiment_platform.lib import warehouse_schema as tables

# Aggregating 15-minute rows to a coarser window: counts add up, shares and means are recomputed
# from the counts (weighted by the posts they were computed over). Two tables share the statement:
# the topic trends, and the per-language ones filtered to one language.
_TRENDS = """
WITH rows AS (
    SELECT time_bucket(CAST($window AS INTERVAL), window_start::TIMESTAMP) AS window_start, {keys}, posts,
           positive, neutral, negative, mean_score, mean_confidence, image_posts, mean_image_score, unsupported,
           positive + neutral + negative AS labeled
    FROM {table}
    WHERE window_start >= $start AND window_start < $end AND ($topic IS NULL OR topic = $topic){filters}
), windows AS (
    SELECT window_start, window_start + CAST($window AS INTERVAL) AS window_end, {keys},
           sum(posts) AS posts, sum(positive) AS positive, sum(neutral) AS neutral, sum(negative) AS negative,
           sum(positive) / nullif(sum(labeled), 0) AS positive_share,
           sum(neutral) / nullif(sum(labeled), 0) AS neutral_share,
           sum(negative) / nullif(sum(labeled), 0) AS negative_share,
           sum(mean_score * labeled) / nullif(sum(labeled) FILTER (WHERE mean_score IS NOT NULL), 0) AS mean_score,
           sum(mean_confidence * labeled) / nullif(sum(labeled) FILTER (WHERE mean_confidence IS NOT NULL), 0)
               AS mean_confidence,
           sum(image_posts) AS image_posts,
           sum(mean_image_score * image_posts)
               / nullif(sum(image_posts) FILTER (WHERE mean_image_score IS NOT NULL), 0) AS mean_image_score,
           sum(unsupported) AS unsupported
    FROM rows
    GROUP BY ALL
)
SELECT *, count(*) OVER () AS total_rows
FROM windows
ORDER BY window_start, {keys}
LIMIT $limit OFFSET $offset
"""
TRENDS = _TRENDS.format(table=tables.SENTIMENT_TRENDS, keys="topic", filters="")
LANGUAGE_TRENDS = _TRENDS.format(table=tables.LANGUAGE_TRENDS, keys="topic, lang", filters=" AND lang = $lang")

TOPICS = f"""
SELECT topic, sum(posts) AS posts, min(window_start) AS first_window, max(window_start) AS last_window
FROM {tables.SENTIMENT_TRENDS} GROUP BY topic ORDER BY topic
"""

LANGUAGES = f"""
SELECT lang, sum(posts) AS posts, sum(unsupported) AS unsupported,
       sum(positive) / nullif(sum(positive + neutral + negative), 0) AS positive_share,
       sum(negative) / nullif(sum(positive + neutral + negative), 0) AS negative_share
FROM {tables.LANGUAGE_TRENDS}
WHERE window_start >= $start AND window_start < $end
GROUP BY lang ORDER BY posts DESC, lang
"""

_HASHTAGS = """
WITH latest AS (SELECT max(hour) AS hour FROM {table})
SELECT hashtag, sum(posts) AS posts, sum(mean_score * posts) / sum(posts) AS mean_score,
       sum(negative_share * posts) / sum(posts) AS negative_share,
       sum(posts_change_vs_24h) AS posts_change_vs_24h
FROM {table}, latest
WHERE {table}.hour > latest.hour - to_hours(CAST($hours AS BIGINT))
GROUP BY hashtag
ORDER BY posts_change_vs_24h {direction}, posts DESC, hashtag
LIMIT $limit
"""
TRENDING_HASHTAGS = _HASHTAGS.format(table=tables.HASHTAG_TRENDS, direction="DESC")
FALLING_HASHTAGS = _HASHTAGS.format(table=tables.HASHTAG_TRENDS, direction="ASC")

ALERTS = f"""
SELECT alert_id, kind, topic, window_start, value, baseline, z, threshold, sent_at
FROM {tables.ALERTS_SENT}
WHERE $topic IS NULL OR topic = $topic
ORDER BY window_start DESC, alert_id
LIMIT $limit
"""

# The latest posts, optionally of one topic, one hashtag and one post-level label, with the match count.
POSTS = f"""
SELECT *, count(*) OVER () AS total_rows
FROM {tables.POSTS}
WHERE ($topic IS NULL OR topic = $topic) AND ($label IS NULL OR post_label = $label)
    AND ($hashtag IS NULL OR list_contains(hashtags, $hashtag))
ORDER BY created_at DESC, post_id
LIMIT $limit OFFSET $offset
"""

POST = f"SELECT * FROM {tables.POSTS} WHERE post_id = $post_id"

USER_SENTIMENT = f"SELECT * FROM {tables.USER_SENTIMENT_PROFILE} WHERE user_id = $user_id"

TABLE_COUNTS = """
SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name
"""

# A user's recommendations from the latest day they were computed for.
RECOMMENDATIONS = f"""
SELECT day, rank, post_id, topic, score, model_score, topic_affinity
FROM {tables.RECOMMENDATIONS}
WHERE user_id = $user_id AND day = (SELECT max(day) FROM {tables.RECOMMENDATIONS} WHERE user_id = $user_id)
ORDER BY rank
LIMIT $limit
"""

POPULAR_POSTS = f"""
SELECT day, rank, post_id, topic, score
FROM {tables.POPULAR_POSTS}
WHERE day = (SELECT max(day) FROM {tables.POPULAR_POSTS})
ORDER BY rank
LIMIT $limit
"""
