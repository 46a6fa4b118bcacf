"""Each source's markup made plain text once, in cleansing; languages detected only where none is
given, and never guessed for short texts."""

import json

import polars as pl
import pytest

from sentiment_platform.lib.cleansing.cleaning import clean_posts
from sentiment_platform.lib.cleansing.languages import MIN_LETTERS, detect_languages
from sentiment_platform.lib.cleansing.source_text import HtmlText, MarkdownText, plain_texts


def cleaned(*posts: dict) -> dict[str, dict]:
    lines = [json.dumps({"author_id": "a", "created_at": "2026-01-01T00:10:00Z", **post}) for post in posts]
    result = clean_posts([("batch.jsonl", ("\n".join(lines) + "\n").encode())])
    return {row["post_id"]: row for row in result.cleaned.to_dicts()}


def test_entities_are_decoded_for_x_and_archives_but_not_for_plain_text_sources():
    rows = cleaned(
        {"id": "x", "text": "Fish &amp; chips &lt;3 &#39;yes&#39; &#x1F600;", "source": "x_api"},
        {"id": "csv", "text": "AT&amp;T &gt; them", "source": "import"},
        {"id": "bsky", "text": "I literally typed &amp; here", "source": "bluesky"},
        {"id": "bare", "text": "R&D and fish & chips; no entity", "source": "x_api"},
    )
    assert rows["x"]["text"] == "Fish & chips <3 'yes' \U0001f600"
    assert rows["x"]["text_original"] == "Fish &amp; chips &lt;3 &#39;yes&#39; &#x1F600;"
    assert rows["csv"]["text"] == "AT&T > them"
    assert rows["bsky"]["text"] == "I literally typed &amp; here"
    assert rows["bare"]["text"] == "R&D and fish & chips; no entity"


def test_mastodon_html_becomes_text_with_its_links_mentions_and_hashtags():
    content = (
        '<p>Hi <span class="h-card"><a href="https://x.example/@bob" class="u-url mention">@<span>bob</span></a>'
        '</span> see <a href="https://news.example/a?b=1&amp;c=2"><span class="invisible">https://</span>'
        '<span class="ellipsis">news.example/a</span></a> <a href="https://x.example/tags/Cats" rel="tag">#<span>'
        "Cats</span></a></p><p>line two<br>line three</p><script>steal()</script><style>p{}</style>"
        '<img src=x onerror="alert(1)">'
    )
    assert HtmlText().to_plain(content) == ("Hi @bob see https://news.example/a #Cats\n\nline two\nline three")
    row = cleaned({"id": "m", "text": content, "source": "mastodon"})["m"]
    assert row["text"] == "Hi @user see http #Cats line two line three"
    assert row["hashtags"] == ["cats"] and row["mentions"] == ["bob"]
    assert "steal" not in row["text"] and "onerror" not in row["text"]


def test_a_mastodon_status_with_nothing_but_markup_is_empty_text():
    rows = cleaned({"id": "empty", "text": "<p><br></p>", "source": "mastodon"}, {"id": "ok", "text": "fine"})
    assert set(rows) == {"ok"}


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("**bold** and __also__ and ~~gone~~", "bold and also and gone"),
        ("*italic* but 2*3*4 stays", "italic but 2*3*4 stays"),
        ("[a link](https://example.com) here", "a link here"),
        ("# Heading\n> quoted &gt; text\n- item", "Heading\nquoted > text\nitem"),
        ("spoiler >!hidden!< and `code`", "spoiler hidden and code"),
        ("escaped \\*stars\\* &amp; #hashtag", "escaped *stars* & #hashtag"),
    ],
)
def test_reddit_markdown_becomes_plain_text(markdown, plain):
    assert MarkdownText().to_plain(markdown) == plain


def test_only_rows_with_a_sign_of_markup_are_converted():
    posts = pl.Series(
        [
            {"text": "plain", "source": "mastodon"},
            {"text": "<b>x</b>", "source": "mastodon"},
            {"text": None, "source": None},
        ]
    )
    assert plain_texts(posts).to_list() == ["plain", "x", None]


def test_short_texts_are_undetermined_rather_than_guessed():
    # fastText reads these English replies as other languages.
    short = ["Thanks so much!", "lol same", "Gracias"]
    assert all(len([c for c in text if c.isalpha()]) < MIN_LETTERS for text in short)
    assert [code for code, _ in detect_languages(short)] == ["und"] * 3
    assert [code for code, _ in detect_languages(["@someone https://t.co/x thanks a lot"])] == ["und"]
    longer = detect_languages(["Thank you so much for the lovely flight today"])
    assert longer[0][0] == "en"
    rows = cleaned(
        {"id": "short", "text": "Great, thanks!", "lang": None},
        {"id": "given", "text": "Merci", "lang": "fr"},
        {"id": "media", "text": "https://t.co/abc", "lang": "qme"},
    )
    assert (rows["short"]["lang"], rows["short"]["lang_source"]) == ("und", "detected")
    assert (rows["given"]["lang"], rows["given"]["lang_source"]) == ("fr", "source")
    assert (rows["media"]["lang"], rows["media"]["lang_source"]) == ("und", "detected")
