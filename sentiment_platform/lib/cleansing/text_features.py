"""The text work of cleansing: NFKC, URLs and mentions normalised, hashtags and mentions extracted,
and languages detected where the source gave none (pure Polars)."""

from __future__ import annotations

import polars as pl

#: Longest topic or hashtag the pipeline keeps, and so the longest the API takes as a parameter: a
#: post with a longer topic is quarantined (``oversize_topic``), a longer hashtag is not extracted.
MAX_TERM_CHARS = 200
#: A character that shows: not whitespace, a control or format character (zero-width spaces and
#: joiners, direction marks, BOM, tags), a variation selector or a blank filler. The same pattern
#: reads in Python's ``re`` and in Rust's regex (Polars), so cleansing and scoring agree on it.
VISIBLE_CHARACTER = (
    r"[^\s\u0000-\u001F\u007F-\u009F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F"
    r"\u200B-\u200F\u202A-\u202E\u2060-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFFB"
    r"\U0001D173-\U0001D17A\U000E0000-\U000E0FFF]"
)
#: A language as the pipeline keeps it: a BCP 47 tag in lower case (``en``, ``pt-br``, ``und``).
#: Anything else a source gives (``<img>``, ``english``) counts as no language and is detected.
LANGUAGE_TAG = r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$"
_URL = r"(?i)(?:https?://|www\.)\S+"
# Mentions and hashtags follow \B: the sign must not follow a word character (skips e-mail
# addresses and words like C#).
_MENTION = r"@\w+"
_TAG = r"[#@]\w+"
# The regex engine's fast DFA cannot run a Unicode \B, which made it a third of the text work. An
# ASCII \B gives the same matches unless a non-ASCII character comes right before a sign: only rows
# with such a pair need the Unicode \B (see text_features).
_UNICODE_BOUNDARY = r"\B"
_ASCII_BOUNDARY = r"(?-u:\B)"
_SIGN_AFTER_NON_ASCII = r"[^\x00-\x7F][#@]"
# A character outside the ranges that NFKC leaves alone (checked in the tests with unicodedata):
# ASCII, the Latin-1 letters and signs without compatibility forms, ZWJ, VS16, symbols and emoji.
_NOT_NFKC_STABLE = (
    r"[^\t\n\r\x20-\x7E\xA1-\xA7\xA9\xAB-\xAE\xB0\xB1\xB6\xB7\xBB\xBF-\xFF"
    r"\x{200D}\x{2600}-\x{27BF}\x{FE0F}\x{1F300}-\x{1FAFF}]"
)
# Runs of whitespace, or any single whitespace other than a plain space (cheaper than \s+).
_WHITESPACE = r"\s{2,}|[^\S ]"


def nfkc(text: pl.Series) -> pl.Series:
    """Unicode NFKC of ``text``, computed only for the rows that have a character it could change."""
    needs = text.str.contains(_NOT_NFKC_STABLE).fill_null(False)
    if not needs.any():
        return text
    return text.scatter(needs.arg_true(), text.filter(needs).str.normalize("NFKC"))


def normalise_text(text: pl.Expr, boundary: str = _UNICODE_BOUNDARY) -> pl.Expr:
    """URLs as ``http``, mentions as ``@user``, whitespace collapsed and trimmed.

    Expects text that is already NFKC-normalised (see :func:`prepare_posts`).
    """
    return (
        text.str.replace_all(_URL, "http")
        .str.replace_all(boundary + _MENTION, "@user")
        .str.replace_all(_WHITESPACE, " ")
        .str.strip_chars()
    )


def distinct_tags(tags: pl.Expr, sign: str) -> pl.Expr:
    """From lists of lower-cased ``tags``, the distinct ones that start with ``sign``, without it."""
    return (
        tags.list.filter(pl.element().str.starts_with(sign) & (pl.element().str.len_chars() <= MAX_TERM_CHARS + 1))
        .list.eval(pl.element().str.slice(1))
        .list.unique(maintain_order=True)
    )


_TEXT_FEATURES = pl.Struct({"text": pl.String, "hashtags": pl.List(pl.String), "mentions": pl.List(pl.String)})


def text_features(text: pl.Series) -> pl.Series:
    """For NFKC text: a struct of the normalised ``text``, its ``hashtags`` and ``mentions``."""
    fast = _text_features(text, _ASCII_BOUNDARY)
    exact_rows = text.str.contains(_SIGN_AFTER_NON_ASCII).fill_null(False)
    if not exact_rows.any():
        return fast
    exact = _text_features(text.filter(exact_rows), _UNICODE_BOUNDARY)
    # Each exact row's place among the exact rows (the running count of them, less one).
    return fast.zip_with(~exact_rows, exact.gather(exact_rows.cum_sum().clip(lower_bound=1) - 1))


def _text_features(text: pl.Series, boundary: str) -> pl.Series:
    # Hashtags and mentions come out of one pass over the text, then are told apart by their sign.
    tags = pl.col(text.name).str.extract_all(boundary + _TAG).list.eval(pl.element().str.to_lowercase())
    return (
        text.to_frame()
        .select(
            normalise_text(pl.col(text.name), boundary).alias("text"),
            tags.alias("tags"),
        )
        .select(
            "text",
            distinct_tags(pl.col("tags"), "#").alias("hashtags"),
            distinct_tags(pl.col("tags"), "@").alias("mentions"),
        )
        .to_struct()
    )


#: Tags that name no language: undetermined, no linguistic content, and the private-use codes X
#: gives media-only, hashtag-only and mention-only posts (``qme``, ``qht``, ``qam``).
_NO_LANGUAGE_TAG = r"^(?:und|zxx|q[a-t][a-z])$"


def _no_language(lang: pl.Expr | pl.Series) -> pl.Expr | pl.Series:
    """Where the source gave no language (the mock network and the X API give one; pushed files may
    not), or something that is not a language tag."""
    return (
        lang.is_null()
        | ~lang.str.contains(LANGUAGE_TAG).fill_null(False)
        | lang.str.contains(_NO_LANGUAGE_TAG).fill_null(False)
    )


def fill_languages(posts: pl.Series) -> pl.Series:
    """Each post's ``lang`` (a struct of ``lang`` and ``text``), detected offline from the text
    where the source gave none; only those texts are looked at."""
    from sentiment_platform.lib.cleansing.languages import detect_languages

    given = posts.struct.field("lang")
    missing = _no_language(given).arg_true()
    if missing.is_empty():
        return given
    texts = posts.struct.field("text").gather(missing).fill_null("").to_list()
    return given.scatter(missing, [code for code, _ in detect_languages(texts)])


def with_text_features(posts: pl.LazyFrame) -> pl.LazyFrame:
    """Prepared ``posts`` with their normalised ``text``, ``hashtags`` and ``mentions`` (from
    ``text_nfkc``), and ``lang`` with its ``lang_source``: ``source`` when the source gave it,
    ``detected`` when it was detected from the text."""
    features = pl.col("text_nfkc").map_batches(text_features, return_dtype=_TEXT_FEATURES, is_elementwise=True)
    return (
        posts.with_columns(features.alias("_features"))
        .drop("text_nfkc")
        .unnest("_features")
        .with_columns(
            pl.struct("lang", "text").map_batches(fill_languages, return_dtype=pl.String, is_elementwise=True),
            pl.when(_no_language(pl.col("lang")))
            .then(pl.lit("detected"))
            .otherwise(pl.lit("source"))
            .alias("lang_source"),
        )
    )
