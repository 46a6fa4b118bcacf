"""Checks and preparation of the texts handed to a text model.

Every input gets a status: ``ok`` (scored), ``empty`` (nothing that shows: whitespace, zero-width
and other format or control characters), ``not_text`` (None,
numbers, other objects) or ``invalid_encoding`` (bytes that are not UTF-8, or a string that cannot
be written as UTF-8: a lone surrogate, as ``json.loads('"\\ud800"')`` gives). Only ``ok`` rows reach
the model, so no model ever guesses a sentiment for something that is not text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from sentiment_platform.lib.cleansing.text_features import VISIBLE_CHARACTER

OK, EMPTY, NOT_TEXT, INVALID_ENCODING = "ok", "empty", "not_text", "invalid_encoding"
#: A text in a language or script no installed model covers: no label, never a guess.
UNSUPPORTED_LANGUAGE = "unsupported_language"

_WHITESPACE = re.compile(r"\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_VISIBLE = re.compile(VISIBLE_CHARACTER)
# Pictographs, dingbats and other symbols; modifiers, joiners and variation selectors are dropped.
_SYMBOLS = re.compile(r"[\u2190-\u2bff\U0001f000-\U0001faff\u200d\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")
# A run of the same pictograph (with its modifiers), spaced or not.
_REPEATED_SYMBOL = re.compile(r"([\u2190-\u2bff\U0001f000-\U0001faff][\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]?)(?:\s*\1)+")


def check_text(value: Any) -> tuple[str, str]:
    """(status, text) for one input: bytes are decoded as UTF-8, whitespace is collapsed."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return INVALID_ENCODING, ""
    if not isinstance(value, str):
        return NOT_TEXT, ""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return INVALID_ENCODING, ""
    text = _WHITESPACE.sub(" ", value).strip()
    return (OK, text) if _VISIBLE.search(text) else (EMPTY, "")


def displayable(value: Any) -> Any:
    """``value`` as it can be shown and stored: a string's lone surrogates become U+FFFD."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _SURROGATE.sub("\ufffd", value)
    return value


@lru_cache(maxsize=4096)
def _symbol_words(char: str) -> str:
    if unicodedata.category(char) in ("Mn", "Cf", "Sk"):
        return " "
    name = unicodedata.name(char, "")
    return f" {name.lower()} " if name else " "


def describe_symbols(text: str) -> str:
    """Emoji and pictographs replaced by their Unicode names (``😍`` -> ``smiling face with
    heart-shaped eyes``), for tokenizers whose vocabulary maps them all to one unknown token. A run
    of the same emoji is named once: spelled out three times, the name outweighs its meaning."""
    if not _SYMBOLS.search(text):
        return text
    text = _REPEATED_SYMBOL.sub(r"\1", text)
    return _WHITESPACE.sub(" ", _SYMBOLS.sub(lambda m: _symbol_words(m.group()), text)).strip()
