"""Each source's text markup turned into plain text, once, in cleansing.

X (and most archives of it) escapes ``&``, ``<`` and ``>`` as HTML entities; Mastodon sends a
status as HTML; Reddit as Markdown with its entities escaped; Bluesky as plain text. The landing
zone keeps the text as received (``text_original`` in the cleansed posts); everything downstream
(scores, hashtags, trends, the API) sees the plain text. Only the rows that hold a sign of markup
are converted, in Python; the rest pass through untouched.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import polars as pl


class SourceMarkup:
    """Text as a source writes it; the base class is plain text, left as it is."""

    #: A regex that every text needing conversion matches (None: nothing ever does).
    trigger: str | None = None

    def to_plain(self, text: str) -> str:
        return text


class EscapedText(SourceMarkup):
    """Plain text with HTML entities (``&amp;``, ``&lt;``, ``&#39;``): X, and the default."""

    trigger = r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"

    def to_plain(self, text: str) -> str:
        return html.unescape(text)


class _TextOfHtml(HTMLParser):
    """The text of an HTML fragment: tags dropped, their text kept (links, mentions and hashtags
    are ``<a>`` elements whose text is the handle, tag or URL), paragraphs and breaks as newlines,
    the content of ``script`` and ``style`` left out. Nothing is fetched or run."""

    _SKIPPED = {"script", "style", "template"}
    _BREAKS = {"br", "p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self._SKIPPED:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


class HtmlText(SourceMarkup):
    """An HTML fragment (a Mastodon status's ``content``)."""

    trigger = r"[<&]"

    def to_plain(self, text: str) -> str:
        parser = _TextOfHtml()
        parser.feed(text)
        parser.close()
        return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip()


#: A backslash-escaped Markdown sign is set aside as a private-use character while the rules run,
#: so ``\*not italic\*`` stays literal.
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~^|])")
_SET_ASIDE = 0xE000
_MARKDOWN_RULES = [
    (re.compile(r"!?\[([^\]\n]*)\]\(([^)\s]*)[^)]*\)"), r"\1"),  # [text](url) and images: the text
    (re.compile(r"(?m)^ {0,3}(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+(?=\S))"), ""),  # headings, quotes, bullets
    (re.compile(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # bold, strikethrough
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?!\w)"), r"\1"),  # *italic*
    (re.compile(r">!(.+?)!<"), r"\1"),  # spoilers
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # inline code
]


class MarkdownText(SourceMarkup):
    """Reddit's Markdown, with its ``&amp;``, ``&lt;`` and ``&gt;`` escapes."""

    trigger = r"[&*_~`\[\]>#\\!-]"

    def to_plain(self, text: str) -> str:
        text = _ESCAPED.sub(lambda match: chr(_SET_ASIDE + ord(match.group(1))), html.unescape(text))
        for pattern, replacement in _MARKDOWN_RULES:
            text = pattern.sub(replacement, text)
        return re.sub("[\ue000-\ue07f]", lambda match: chr(ord(match.group(0)) - _SET_ASIDE), text)


#: The markup of each source, by the ``source`` its records carry; any other source (X, the mock
#: network, archives) is entity-escaped text.
SOURCE_MARKUP: dict[str, SourceMarkup] = {
    "mastodon": HtmlText(),
    "rss": HtmlText(),  # a feed entry's summary is an HTML fragment too
    "reddit": MarkdownText(),
    "bluesky": SourceMarkup(),
}
DEFAULT_MARKUP = EscapedText()


def plain_texts(posts: pl.Series) -> pl.Series:
    """The plain text of each post (a struct of ``text`` and ``source``)."""
    text, source = posts.struct.field("text"), posts.struct.field("source").fill_null("")
    markups = {name: SOURCE_MARKUP.get(name, DEFAULT_MARKUP) for name in source.unique().to_list()}
    for name, markup in markups.items():
        if markup.trigger is None:
            continue
        rows = ((source == name) & text.str.contains(markup.trigger).fill_null(False)).arg_true()
        if not rows.is_empty():
            text = text.scatter(rows, [markup.to_plain(value) for value in text.gather(rows).to_list()])
    return text
