"""Text safety and Slack's limits, in one place.

User text reaches Slack either as `plain_text` or as mrkdwn with `&`, `<`
and `>` escaped and `verbatim: true` (see `safe_mrkdwn`), so an anonymous
answer reading `<!channel>` or `<https://evil|click>` shows those characters
and pings or links nobody. Nothing here ever sets `link_names` or
`parse: full`.
"""

from __future__ import annotations

MAX_TEXT = 3000
"""Characters in one text object (section text, context element, input label...)."""
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_HEADER = 150
MAX_OPTION = 75
MAX_TITLE = 24


def escape(text: str) -> str:
    """Slack's three control characters, escaped as Slack documents."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending with an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clip_escaped(text: str, limit: int) -> str:
    """Escape, then fit in `limit` without cutting an entity such as `&amp;` in half."""
    escaped = escape(text.strip())
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + "…"


def and_more(count: int, what: str = "more") -> str:
    return f"…and {count} {what}"


def mention(user: str) -> str:
    """A user mention the bot writes itself (an id it chose, never user text)."""
    safe = "".join(ch for ch in user if ch.isalnum())
    return f"<@{safe}>"


def channel_link(channel: str) -> str:
    safe = "".join(ch for ch in channel if ch.isalnum())
    return f"<#{safe}>"
