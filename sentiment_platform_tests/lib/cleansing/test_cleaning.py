from datetime import UTC, datetime

import orjson
import polars as pl
import pytest

from sentiment_platform.lib.cleansing.cleaning import (
    CleaningRules,
    clean_interactions,
    clean_posts,
    clean_users,
)


def post(**overrides):
    record = {
        "id": "p1",
        "author_id": "u1",
        "created_at": "2026-11-20T13:05:00.000Z",
        "text": "Hello world",
        "lang": "en",
        "topic": "tech",
        "like_count": 1,
    }
    record.update(overrides)
    return {key: value for key, value in record.items() if value is not ...}


def lines(*records) -> bytes:
    return b"\n".join(r if isinstance(r, bytes) else orjson.dumps(r) for r in records) + b"\n"


def reasons(result) -> dict[int, str]:
    return dict(zip(result.quarantined["line_no"], result.quarantined["reason"]))


def test_accounting_holds_and_every_bad_record_is_quarantined_with_its_reason():
    data = lines(
        post(id="ok1"),
        b'{"id": "p2", "author_id": "u1", "text": "trunc',  # 2 broken JSON
        post(id="p3", text=...),  # 3 missing field
        post(id="p4", author_id=...),  # 4 missing field
        post(id="p5", like_count="lots"),  # 5 wrong type
        post(id="p6", text=12345),  # 6 wrong type
        post(id="p7", created_at=1732111111),  # 7 wrong type
        post(id="p8", text="x" * 10_001),  # 8 oversize
        orjson.dumps(["p9", "u1"]),  # 9 not an object
        post(id="p10", created_at="yesterday"),  # 10 bad timestamp
        b'{"id":"p11","author_id":"u1","created_at":"2026-11-20T13:00:00Z","text":"bad \xff\xfe bytes"}',
        post(id="p12", text="   \n\t "),  # 12 empty after normalising
        post(id="ok1"),  # 13 exact duplicate
        post(id="ok1", text="edited"),  # 14 same id, other content
        post(id="p15", text="RT @bob: Hello world", retweet_of_id="ok1"),  # 15 retweet
        post(id="p16", like_count=-3),  # 16 negative count
        post(id="ok2", text="Second good one"),
        post(id="p18", repost_count=2**64 - 1),  # 18 beyond a 64-bit count
    )
    result = clean_posts([("batch.jsonl", data)], CleaningRules(max_text_chars=10_000))
    assert reasons(result) == {
        2: "invalid_json",
        3: "missing_field:text",
        4: "missing_field:author_id",
        5: "wrong_type:like_count",
        6: "wrong_type:text",
        7: "wrong_type:created_at",
        8: "oversize_text",
        9: "not_an_object",
        10: "invalid_timestamp:created_at",
        11: "invalid_utf8",
        12: "empty_text",
        14: "conflicting_duplicate_id",
        16: "invalid_value:negative_count",
        18: "invalid_value:repost_count",
    }
    assert result.cleaned["post_id"].to_list() == ["ok1", "ok2"]
    counts = result.metadata()
    assert counts["records_in"] == 18
    assert counts["duplicates"] == 2 and counts["exact_duplicates"] == 1 and counts["retweets"] == 1
    assert counts["records_in"] == counts["cleaned"] + counts["duplicates"] + counts["quarantined"]
    # The quarantine keeps the rejected record as received.
    assert result.quarantined.filter(pl.col("line_no") == 2)["record"].item().startswith('{"id": "p2"')
    assert set(result.quarantined["source_file"]) == {"batch.jsonl"}


def test_text_is_normalised_and_hashtags_mentions_extracted():
    text = "Ｌｏｖｅ   this!! @Alice_1 and @bob see https://t.co/abc www.x.com #Tech #tech #AI mail a@b.com 😍"
    result = clean_posts([("b.jsonl", lines(post(text=text, lang="FR", topic=None)))])
    row = result.cleaned.row(0, named=True)
    assert row["text"] == "Love this!! @user and @user see http http #Tech #tech #AI mail a@b.com 😍"
    assert row["text_original"] == text
    assert row["hashtags"] == ["tech", "ai"]
    assert row["mentions"] == ["alice_1", "bob"]
    assert row["lang"] == "fr" and row["topic"] == "unknown"
    assert str(row["created_at"]) == "2026-11-20 13:05:00+00:00"


def test_missing_optional_fields_get_defaults_and_media_paths_are_kept():
    record = post(
        text="What a wonderful morning it has been for everyone here",
        lang=...,
        topic=...,
        like_count=...,
        media=[{"path": "landing/images/a.jpg", "type": "photo"}],
    )
    row = clean_posts([("b.jsonl", lines(record))]).cleaned.row(0, named=True)
    assert row["lang"] == "en" and row["lang_source"] == "detected" and row["like_count"] == 0
    assert row["image_keys"] == ["landing/images/a.jpg"] and row["has_image"] is True


def test_output_is_independent_of_batch_order_and_blank_lines_are_not_records():
    a, b = lines(post(id="a"), post(id="b", created_at="2026-11-20T13:01:00Z")), b"\n \t\r\n" + lines(post(id="c"))
    first = clean_posts([("1.jsonl", a), ("2.jsonl", b)])
    second = clean_posts([("1.jsonl", a), ("2.jsonl", b)])
    assert first.cleaned.equals(second.cleaned)
    assert first.records_in == 3 and first.cleaned["post_id"].to_list() == ["b", "a", "c"]


def test_a_line_with_a_unit_separator_is_kept_whole():
    # Line splitting uses 0x1F as its column separator: such a line must not be cut at it.
    data = lines(post(id="a")) + b'{"id":"b"}\x1f,"junk"\r\n' + lines(post(id="c"))
    result = clean_posts([("f.jsonl", data)])
    assert result.cleaned["post_id"].to_list() == ["a", "c"]
    assert result.quarantined.select("line_no", "reason", "record").rows() == [
        (2, "invalid_json", '{"id":"b"}\x1f,"junk"')
    ]


def test_empty_input_gives_empty_typed_output():
    result = clean_posts([])
    assert result.cleaned.height == 0 and result.records_in == 0
    assert result.cleaned.schema["created_at"] == pl.Datetime("us", "UTC")


def test_users_keep_the_latest_profile_and_quarantine_bad_ones():
    data = lines(
        {"user_id": "u1", "handle": "ann", "followers_count": 5, "observed_at": "2026-11-20T13:00:00Z"},
        {"user_id": "u1", "handle": "ann", "followers_count": 9, "observed_at": "2026-11-20T13:30:00Z"},
        {"user_id": "u2", "handle": 7},
        {"user_id": "u3", "handle": "c", "followers_count": -1},
        {"handle": "nobody"},
    )
    result = clean_users([("u.jsonl", data)])
    assert result.cleaned.select("user_id", "followers_count").rows() == [("u1", 9)]
    assert reasons(result) == {3: "wrong_type:handle", 4: "invalid_value:followers_count", 5: "missing_field:user_id"}
    assert result.duplicates == 1


def test_interactions_validate_type_and_deduplicate():
    like = {
        "interaction_id": "i1",
        "type": "like",
        "user_id": "u1",
        "post_id": "p1",
        "created_at": "2026-11-20T13:00:00Z",
    }
    data = lines(
        like, like, dict(like, interaction_id="i2", type="hug"), dict(like, interaction_id="i3", type="REPOST")
    )
    result = clean_interactions([("i.jsonl", data)])
    assert result.cleaned.select("interaction_id", "type").rows() == [("i1", "like"), ("i3", "repost")]
    assert reasons(result) == {3: "invalid_value:type"}
    assert result.duplicates == 1


@pytest.mark.parametrize("bad", [b"\x00\x01\x02", b"[]", b"null", b"42", b'"text"', b"{}"])
def test_odd_lines_never_crash_the_batch(bad):
    result = clean_posts([("b.jsonl", lines(post(id="good")) + bad + b"\n")])
    assert result.cleaned["post_id"].to_list() == ["good"]
    assert result.quarantined.height == 1


def test_selective_nfkc_equals_full_nfkc():
    from sentiment_platform.lib.cleansing.text_features import _NOT_NFKC_STABLE, nfkc

    samples = [
        "plain ascii",
        "café ½ ² ﬁ ｆｕｌｌ",
        "e\u0301 composed",
        "emoji 😍👍🏽 ❤️ 🇫🇷",
        "ª º µ ¨",
        "🄰 enclosed",
        "’quotes’ — dash",
        "Ⅻ roman",
        "\u00a0nbsp",
        "日本語テキスト ｶﾀｶﾅ",
        "",
    ]
    samples += ["".join(chr(c) for c in range(start, start + 64)) for start in range(0x20, 0x3000, 61)]
    series = pl.Series(samples)
    assert nfkc(series).to_list() == series.str.normalize("NFKC").to_list()
    # Every character the fast path skips really is left alone by NFKC.
    skipped = pl.Series([chr(c) for c in range(0x1FB00) if 0xD800 > c or c > 0xDFFF])
    skipped = skipped.filter(~skipped.str.contains(_NOT_NFKC_STABLE))
    assert skipped.len() > 2000
    assert (skipped.str.normalize("NFKC") == skipped).all()


def test_fast_tag_matching_agrees_with_the_unicode_word_boundary():
    from sentiment_platform.lib.cleansing.text_features import (
        _ASCII_BOUNDARY,
        _UNICODE_BOUNDARY,
        _text_features,
        text_features,
    )

    before = ["", " ", "a", "é", "ß", "日", "😀", "_", "1", "#", "@", "-", "\u0301", "\u00a0", "Ⅻ"]
    texts = [f"{b}#Tag x{b}@Name {b}#two{b}@three" for b in before] + ["mail a@b.com C# #ok", None]
    series = pl.Series("text", texts)
    reference = _text_features(series, _UNICODE_BOUNDARY)
    assert text_features(series).to_list() == reference.to_list()
    # The ASCII boundary alone would read a letter such as é before a sign as a boundary.
    assert _text_features(series, _ASCII_BOUNDARY).to_list() != reference.to_list()


def test_first_of_each_key_is_found_even_when_two_keys_share_a_hash(monkeypatch):
    from sentiment_platform.lib.cleansing.cleaning import is_first_distinct

    keys = pl.Series("post_id", ["b", "a", "b", None, "c", "a", None, "b"])
    expected = keys.is_first_distinct().to_list()
    assert is_first_distinct(keys).to_list() == expected
    # With every key hashed alike, the hash alone would call "a" and "c" repeats of "b".
    monkeypatch.setattr(pl.Series, "hash", lambda self: pl.Series(self.name, [7] * self.len(), pl.UInt64))
    assert is_first_distinct(keys).to_list() == expected


def test_fast_timestamp_parsing_gives_what_the_full_format_gives():
    from sentiment_platform.lib.cleansing.timestamps import (
        _TIMESTAMP_FORMAT,
        EARLIEST_TIMESTAMP,
        LATEST_TIMESTAMP,
        parse_timestamps,
    )

    texts = [
        "2026-11-20T13:00:00Z",
        "2026-11-20T13:00:00.043Z",
        "2026-11-20T13:00:00+02:00",
        "2026-11-20T13:00:00-0530",
        "2026-11-20T13:00:00+05",
        "2026-11-20T13:00:00.1234567Z",
        "2026-11-20T13:00:00.123456789+01:00",
        "2026-02-30T13:00:00Z",
        "2026-12-31T23:59:60Z",
        "12026-11-20T13:00:00Z",
        "2026-1-20T13:00:00Z",
        "2026-11-20 13:00:00Z",
        "yesterday",
        "",
        None,
        "2026-11-20T13:00:00",
        "2026-11-20T13:00:00.Z",
        "2026-11-20T13:00:005Z",
        "+2026-11-20T13:00:00Z",
        " 2026-11-20T13:00:00Z",
        "2026-11-20T13:00:00z",
        "2026-11-20T13:00:00Z ",
        "2026-11-20T13:00:00.5+14:00",
        "2026-11-20T1:00:00Z",
        "2026-11-20T13:00:0Z",
        "0000-01-01T00:00:00Z",
        "2026-11-20T13:00:00+2400",
        "2026-11-20T13:00:00GMT",
    ]
    series = pl.Series("created_at", texts)
    full = series.str.to_datetime(_TIMESTAMP_FORMAT, time_zone="UTC", time_unit="us", strict=False)
    in_range = full.is_between(EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, closed="left").fill_null(False)
    expected = [value if keep else None for value, keep in zip(full.cast(pl.Int64).to_list(), in_range.to_list())]
    assert parse_timestamps(series).cast(pl.Int64).to_list() == expected
    assert full.null_count() == 12  # the list holds both kinds
    assert len(expected) - sum(in_range) == 13  # and one parsed but out of range (year 0)


@pytest.mark.parametrize(
    "text",
    [
        "+20000-01-01T00:00:00Z",
        "20000-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "9999-12-31T23:59:59+14:00",
    ],
)
def test_timestamps_outside_the_sane_range_are_invalid(text):
    from sentiment_platform.lib.cleansing.timestamps import parse_timestamps

    assert parse_timestamps(pl.Series("t", [text, "2026-11-20T13:00:00Z"])).is_null().to_list() == [True, False]
    result = clean_posts([("b.jsonl", lines(post(id="far", created_at=text), post(id="fine")))])
    assert result.cleaned["post_id"].to_list() == ["fine"]
    assert result.quarantined["reason"].to_list() == ["invalid_timestamp:created_at"]


def test_the_first_post_in_file_order_wins_whatever_order_the_batches_come_in():
    original, edited = lines(post(id="p1", text="first")), lines(post(id="p2"), post(id="p1", text="edited"))
    result = clean_posts([("2.jsonl", edited), ("1.jsonl", original)])
    assert result.cleaned.select("post_id", "text", "source_file").rows() == [
        ("p1", "first", "1.jsonl"),
        ("p2", "Hello world", "2.jsonl"),
    ]
    assert result.quarantined.select("source_file", "line_no", "reason").rows() == [
        ("2.jsonl", 2, "conflicting_duplicate_id")
    ]


def test_posts_are_ordered_by_time_then_id_even_when_ids_do_not_grow_with_time():
    same_time = "2026-11-20T13:05:00Z"
    data = lines(
        post(id="b", created_at=same_time),
        post(id="a", created_at=same_time),
        post(id="c", created_at="2026-11-20T13:00:00Z"),
    )
    assert clean_posts([("f.jsonl", data)]).cleaned["post_id"].to_list() == ["c", "a", "b"]


HOUR_START = datetime(2026, 11, 20, 13, tzinfo=UTC)


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_validation_says_what_the_data_is(newline):
    good_line = orjson.dumps(post(id="ok"))
    data = (
        newline.join(
            [
                orjson.dumps(post(id="fffd", text="caf\ufffd \u00e9t\u00e9 \U0001f600")),  # 1 a real U+FFFD: kept
                orjson.dumps(post(id="bad", text="caf\u00e9")).replace("é".encode(), b"\xe9"),  # 2 Latin-1 byte
                b'{"id":"n","author_id":"u1","created_at":"2026-11-20T13:05:00Z","text":"t","like_count":NaN}',
                b'{"id":"i","author_id":"u1","created_at":"2026-11-20T13:05:00Z","text":"t","like_count":-Infinity}',
                b'{"id":"tc","author_id":"u1","created_at":"2026-11-20T13:05:00Z","text":"t",}',
                b'{"id":"ta","author_id":"u1","created_at":"2026-11-20T13:05:00Z","text":"t","media":[{"path":"x"},]}',
                orjson.dumps(post(id="tokens", text="NaN, ] Infinity War,}")),  # 7 tokens in a string
                orjson.dumps(post(id="zw", text="\u200b\u200d\ufeff \u2060\u00ad\ufe0f")),  # 8 nothing shows
                orjson.dumps(post(id="ctl", text="\x00\x07\u202e")),  # 9 controls only
                orjson.dumps(post(id="emoji", text="\U0001f469\u200d\U0001f4bb")),  # 10 ZWJ emoji: kept
                b'{"id":"dup","author_id":"u1","created_at":"2026-11-20T13:05:00Z","text":"first","text":"second"}',
                good_line,
            ]
        )
        + newline
    )
    result = clean_posts([("b.jsonl", data)])
    assert reasons(result) == {
        2: "invalid_utf8",
        3: "invalid_json",
        4: "invalid_json",
        5: "invalid_json",
        6: "invalid_json",
        8: "empty_text",
        9: "empty_text",
    }
    kept = {row["post_id"]: row for row in result.cleaned.iter_rows(named=True)}
    assert sorted(kept) == ["dup", "emoji", "fffd", "ok", "tokens"]
    assert "\ufffd" in kept["fffd"]["text"]
    # A name given twice in one object: the first occurrence wins, in every field and engine.
    assert kept["dup"]["text"] == "first"


def test_invalid_utf8_is_found_on_the_right_line_however_many_bytes_lines_change():
    # Invalid sequences of several lengths before a bad line shift every byte offset after them.
    good = orjson.dumps(post(id="g", text="ok \ufffd"))
    bad = [
        orjson.dumps(post(id=f"b{i}", text="x")).replace(b'"x"', b'"' + junk + b'"')
        for i, junk in enumerate([b"\xff", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3", b"\xed\xa0\x80"])
    ]
    rows = [good, bad[0], good, bad[1], bad[2], good, good, bad[3], bad[4], good]
    result = clean_posts([("b.jsonl", b"\n".join(rows) + b"\n")])
    assert sorted(reasons(result)) == [2, 4, 5, 8, 9]
    assert set(reasons(result).values()) == {"invalid_utf8"}


def test_a_post_created_outside_its_landing_hour_is_quarantined_as_outside_partition():
    data = lines(
        post(id="in", created_at="2026-11-20T13:59:59.999Z"),
        post(id="before", created_at="2026-11-20T12:59:59Z"),
        post(id="after", created_at="2026-11-20T14:00:00Z"),
        post(id="offset", created_at="2026-11-20T15:30:00+02:00"),
    )
    result = clean_posts([("b.jsonl", data)], hour=HOUR_START)
    assert result.cleaned["post_id"].to_list() == ["offset", "in"]
    assert reasons(result) == {2: "outside_partition", 3: "outside_partition"}
    assert clean_posts([("b.jsonl", data)]).cleaned.height == 4  # without an hour, no such rule
    likes = lines(
        {"interaction_id": "i1", "type": "like", "user_id": "u", "post_id": "p", "created_at": "2026-11-20T13:10:00Z"},
        {"interaction_id": "i2", "type": "like", "user_id": "u", "post_id": "p", "created_at": "2026-11-21T13:10:00Z"},
    )
    interactions = clean_interactions([("i.jsonl", likes)], hour=HOUR_START)
    assert interactions.cleaned["interaction_id"].to_list() == ["i1"]
    assert interactions.quarantined["reason"].to_list() == ["outside_partition"]


def test_the_source_language_is_kept_and_a_missing_one_is_detected_offline():
    records = [
        post(id="given", text="Hello world", lang="EN"),
        post(id="french", text="Quelle journée magnifique, je suis tellement heureux", lang=...),
        post(id="arabic", text="يوم جميل جدا مع الأصدقاء", lang="und"),
        post(id="nothing", text="12:30 !!! 👍", lang=...),
    ]
    rows = {r["post_id"]: r for r in clean_posts([("c.jsonl", lines(*records))]).cleaned.iter_rows(named=True)}
    assert (rows["given"]["lang"], rows["given"]["lang_source"]) == ("en", "source")
    assert (rows["french"]["lang"], rows["french"]["lang_source"]) == ("fr", "detected")
    assert (rows["arabic"]["lang"], rows["arabic"]["lang_source"]) == ("ar", "detected")
    assert (rows["nothing"]["lang"], rows["nothing"]["lang_source"]) == ("und", "detected")
