"""Each network's own JSON (one object per line of a dump) as the importer's post fields.

Written from the networks' public documentation:

- X API v2: a search response page (``data``, ``includes.users``) or one tweet object; a long
  post's ``note_tweet.text`` is its text; ``referenced_tweets`` give the reply and the retweet.
- Bluesky: a Jetstream commit event creating an ``app.bsky.feed.post`` record, or a post view
  (``uri``, ``author``, ``record``, counts) as ``app.bsky.feed.searchPosts`` lists it, or a feed
  item (``{"post": view}``) as ``getAuthorFeed`` and ``getTimeline`` do, or a page of either.
- Mastodon: a status (``content`` is HTML, made plain text in cleansing); a reblog is a retweet;
  ids are the status's ``uri`` and the account's ``url``, prefixed ``mastodon:``.
- Reddit: a listing child ``{"kind": "t3" | "t1", "data": {...}}`` (a submission or a comment),
  or a whole listing; ids are Reddit's fullnames (``t3_abc``), the topic is the subreddit.

A line that is valid JSON but not a post of the format (a delete event, a user, a ``more`` stub)
is refused with the reason, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Fields = dict[str, Any]


class NotAPost(ValueError):
    """A JSON value that is no post of its format; the message is the quarantine reason."""


def _object(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise NotAPost(f"not_an_object:{what}")
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _image(url: Any, key: Any = None, alt: Any = None) -> dict[str, str | None] | None:
    """One image of a post, by its URL (downloaded by a live source, kept as a URL by an import)."""
    if not isinstance(url, str) or not url:
        return None
    return {"media_key": _text(key), "type": "photo", "path": url, "alt_text": _text(alt) or ""}


def _images(found: list[dict[str, str | None] | None]) -> list[dict[str, str | None]] | None:
    kept = [image for image in found if image]
    return kept or None


# --- X API v2 ----------------------------------------------------------------------------------


def x_v2_posts(value: Any) -> list[Fields]:
    value = _object(value, "x-v2")
    if "data" in value or "includes" in value:
        tweets = value.get("data")
        tweets = [tweets] if isinstance(tweets, dict) else tweets
        if not isinstance(tweets, list):
            raise NotAPost("not_a_post:x-v2 page without data")
        users = (value.get("includes") or {}).get("users") if isinstance(value.get("includes"), dict) else None
        by_id = {u.get("id"): u for u in users or [] if isinstance(u, dict)}
        return [_tweet(_object(tweet, "x-v2 tweet"), by_id) for tweet in tweets]
    return [_tweet(value, {})]


def _tweet(tweet: dict, users: dict[Any, dict]) -> Fields:
    if not isinstance(tweet.get("id"), str) or "text" not in tweet:
        raise NotAPost("not_a_post:x-v2 object without id and text")
    metrics = tweet.get("public_metrics") if isinstance(tweet.get("public_metrics"), dict) else {}
    note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), dict) else {}
    fields: Fields = {
        "id": tweet["id"],
        "text": _text(note.get("text")) or _text(tweet.get("text")),
        "created_at": _text(tweet.get("created_at")),
        "author_id": _text(tweet.get("author_id")),
        "lang": _text(tweet.get("lang")),
        "like_count": _number(metrics.get("like_count")),
        "repost_count": _number(metrics.get("retweet_count")),
        "reply_count": _number(metrics.get("reply_count")),
    }
    for reference in tweet.get("referenced_tweets") or []:
        if isinstance(reference, dict) and reference.get("type") == "replied_to":
            fields["in_reply_to_id"] = _text(reference.get("id"))
        elif isinstance(reference, dict) and reference.get("type") == "retweeted":
            fields["retweet_of_id"] = _text(reference.get("id"))
    author = users.get(fields["author_id"])
    if author:
        fields["handle"] = _text(author.get("username"))
        fields["name"] = _text(author.get("name"))
        author_metrics = author.get("public_metrics") if isinstance(author.get("public_metrics"), dict) else {}
        fields["followers_count"] = _number(author_metrics.get("followers_count"))
    return fields


# --- Bluesky -----------------------------------------------------------------------------------

_BLUESKY_POST = "app.bsky.feed.post"


def bluesky_posts(value: Any) -> list[Fields]:
    value = _object(value, "bluesky")
    if isinstance(value.get("posts"), list):  # a searchPosts page
        return [_post_view(_object(item, "bluesky post view")) for item in value["posts"]]
    if isinstance(value.get("feed"), list):  # a feed page
        return [_post_view(_object(_object(item, "bluesky feed item").get("post"), "post")) for item in value["feed"]]
    if "kind" in value and "did" in value:
        return [_jetstream_event(value)]
    if isinstance(value.get("post"), dict):  # a feed item
        return [_post_view(value["post"])]
    return [_post_view(value)]


def _jetstream_event(event: dict) -> Fields:
    commit = event.get("commit")
    if event.get("kind") != "commit" or not isinstance(commit, dict):
        raise NotAPost(f"not_a_post:bluesky {event.get('kind')} event")
    if commit.get("collection") != _BLUESKY_POST or commit.get("operation") != "create":
        raise NotAPost(f"not_a_post:bluesky {commit.get('operation')} of {commit.get('collection')}")
    did, rkey = _text(event.get("did")), _text(commit.get("rkey"))
    if not did or not rkey:
        raise NotAPost("not_a_post:bluesky commit without did and rkey")
    return _bluesky_record(_object(commit.get("record"), "record"), f"at://{did}/{_BLUESKY_POST}/{rkey}", did)


def _post_view(view: dict) -> Fields:
    uri, author = _text(view.get("uri")), view.get("author") if isinstance(view.get("author"), dict) else {}
    if not uri or not isinstance(view.get("record"), dict):
        raise NotAPost("not_a_post:bluesky object without uri and record")
    fields = _bluesky_record(view["record"], uri, _text(author.get("did")))
    embed = view.get("embed") if isinstance(view.get("embed"), dict) else {}
    shown = embed.get("images") if isinstance(embed.get("images"), list) else []
    if not shown and isinstance(embed.get("media"), dict):  # recordWithMedia#view
        shown = embed["media"].get("images") if isinstance(embed["media"].get("images"), list) else []
    if shown:  # the view's own CDN addresses
        fields["media"] = _images([_image(i.get("fullsize"), None, i.get("alt")) for i in shown if isinstance(i, dict)])
    fields.update(
        handle=_text(author.get("handle")),
        name=_text(author.get("displayName")),
        like_count=_number(view.get("likeCount")),
        repost_count=_number(view.get("repostCount")),
        reply_count=_number(view.get("replyCount")),
    )
    return fields


def _bluesky_record(record: dict, uri: str, did: str | None) -> Fields:
    if record.get("$type", _BLUESKY_POST) != _BLUESKY_POST:
        raise NotAPost(f"not_a_post:bluesky {record.get('$type')}")
    languages = record.get("langs") if isinstance(record.get("langs"), list) else []
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
    parent = reply.get("parent") if isinstance(reply.get("parent"), dict) else {}
    return {
        "id": uri,
        "text": _text(record.get("text")),
        "created_at": _text(record.get("createdAt")),
        "author_id": did,
        "lang": _text(languages[0]) if languages else None,
        "in_reply_to_id": _text(parent.get("uri")),
        "media": _blob_images(record, did),
    }


#: Where Bluesky's CDN serves a post's image blob, by the author's DID and the blob's CID.
BLUESKY_IMAGE_URL = "https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{cid}@jpeg"


def _blob_images(record: dict, did: str | None) -> list[dict[str, str | None]] | None:
    """The images a post record embeds (``app.bsky.embed.images``, or its ``recordWithMedia``)."""
    embed = record.get("embed") if isinstance(record.get("embed"), dict) else {}
    if isinstance(embed.get("media"), dict):
        embed = embed["media"]
    images = embed.get("images") if isinstance(embed.get("images"), list) else []
    found = []
    for item in images:
        blob = item.get("image") if isinstance(item, dict) and isinstance(item.get("image"), dict) else {}
        ref = blob.get("ref") if isinstance(blob.get("ref"), dict) else {}
        cid = _text(ref.get("$link"))
        if did and cid and cid.isalnum():
            found.append(_image(BLUESKY_IMAGE_URL.format(did=did, cid=cid), cid, item.get("alt")))
    return _images(found)


# --- Mastodon ----------------------------------------------------------------------------------


def mastodon_posts(value: Any) -> list[Fields]:
    status = _object(value, "mastodon")
    if not isinstance(status.get("id"), str) or "content" not in status:
        raise NotAPost("not_a_post:mastodon object without id and content")
    account = status.get("account") if isinstance(status.get("account"), dict) else {}
    reblog = status.get("reblog") if isinstance(status.get("reblog"), dict) else None
    return [
        {
            "id": _mastodon_id(status),
            "text": _text(status.get("content")) or (_text(reblog.get("content")) if reblog else None),
            "created_at": _text(status.get("created_at")),
            "author_id": _mastodon_account(account),
            "lang": _text(status.get("language")),
            # Only the instance's own id of the parent is given: a reply keeps it (prefixed), as a mark.
            "in_reply_to_id": f"{_MASTODON}{status['in_reply_to_id']}" if _text(status.get("in_reply_to_id")) else None,
            "retweet_of_id": _mastodon_id(reblog) if reblog and isinstance(reblog.get("id"), str) else None,
            "like_count": _number(status.get("favourites_count")),
            "repost_count": _number(status.get("reblogs_count")),
            "reply_count": _number(status.get("replies_count")),
            "handle": _text(account.get("acct")),
            "name": _text(account.get("display_name")),
            "followers_count": _number(account.get("followers_count")),
            "media": _images(
                [
                    _image(item.get("url"), item.get("id"), item.get("description"))
                    for item in status.get("media_attachments") or []
                    if isinstance(item, dict) and item.get("type") == "image"
                ]
            ),
        }
    ]


#: Mastodon's ids are numbers local to an instance: a post is named by its ``uri`` (the same from
#: every instance), an account by its profile ``url``, each prefixed so no other network's id
#: (X's numbers) can be the same.
_MASTODON = "mastodon:"


def _mastodon_id(status: dict) -> str:
    return _MASTODON + (_text(status.get("uri")) or status["id"])


def _mastodon_account(account: dict) -> str | None:
    own = _text(account.get("url")) or _text(account.get("acct")) or _text(account.get("id"))
    return _MASTODON + own if own else None


# --- Reddit ------------------------------------------------------------------------------------

_REMOVED = ("[deleted]", "[removed]")


def reddit_posts(value: Any) -> list[Fields]:
    thing = _object(value, "reddit")
    if thing.get("kind") == "Listing":
        children = _object(thing.get("data"), "listing data").get("children")
        if not isinstance(children, list):
            raise NotAPost("not_a_post:reddit listing without children")
        return [field for child in children for field in reddit_posts(child)]
    kind, data = thing.get("kind"), _object(thing.get("data"), "reddit data")
    if kind not in ("t3", "t1"):
        raise NotAPost(f"not_a_post:reddit {kind}")
    if kind == "t3":
        title, body = _text(data.get("title")) or "", _text(data.get("selftext")) or ""
        text = "\n\n".join(part for part in (title, "" if body in _REMOVED else body) if part)
    else:
        text = _text(data.get("body"))
        if text in _REMOVED:
            raise NotAPost("removed_content")
    created = data.get("created_utc")
    if not isinstance(created, (int, float)) or isinstance(created, bool):
        created = None
    subreddit = _text(data.get("subreddit"))
    return [
        {
            "id": _text(data.get("name")) or (f"{kind}_{data['id']}" if isinstance(data.get("id"), str) else None),
            "text": text,
            "created_at": datetime.fromtimestamp(created, UTC).isoformat() if created is not None else None,
            "author_id": _text(data.get("author_fullname")) or _text(data.get("author")),
            "topic": subreddit.lower() if subreddit else None,
            "in_reply_to_id": _text(data.get("parent_id")) if kind == "t1" else None,
            "like_count": max(_number(data.get("ups")) or 0, 0),
            "reply_count": _number(data.get("num_comments")),
            "handle": _text(data.get("author")),
            "media": _images([_image(data.get("url"), data.get("id"))]) if data.get("post_hint") == "image" else None,
        }
    ]


#: The converter of each native format, by its ``--format`` name, and the source it records.
NATIVE_FORMATS: dict[str, tuple[Callable[[Any], list[Fields]], str]] = {
    "x-v2": (x_v2_posts, "x"),
    "bluesky": (bluesky_posts, "bluesky"),
    "mastodon": (mastodon_posts, "mastodon"),
    "reddit": (reddit_posts, "reddit"),
}
