"""The building blocks every renderer uses, with the text rules applied once.

* `plain()` for user text where no formatting is wanted.
* `md()` for mrkdwn, always `verbatim: true`; the caller escapes user text
  with `text.escape` (or `clip_escaped`) before putting it in.
* `packed()` turns a list of lines into as few sections as fit in 3,000
  characters each and stops at a block budget with "…and N more".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    BlockElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from adapters.slack.ids import Callback
from adapters.slack.text import MAX_HEADER, MAX_TEXT, MAX_TITLE, and_more, clip, escape

Blocks = list[Block]


def plain(text: str, limit: int = MAX_TEXT) -> PlainTextObject:
    return PlainTextObject(text=clip(text, limit) or " ", emoji=True)


def md(text: str) -> MarkdownTextObject:
    """Bot-written mrkdwn (user parts already escaped); never auto-linked or auto-mentioned."""
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return MarkdownTextObject(text=text, verbatim=True)


def section(text: str, block_id: str | None = None, accessory: dict[str, Any] | BlockElement | None = None) -> SectionBlock:
    return SectionBlock(text=md(text), block_id=block_id, accessory=accessory)


def context(text: str, block_id: str | None = None) -> ContextBlock:
    return ContextBlock(elements=[md(text)], block_id=block_id)


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=plain(text, MAX_HEADER))


def packed(lines: Sequence[str], *, max_blocks: int, title: str | None = None, more: str = "more") -> Blocks:
    """Lines (already escaped mrkdwn) in sections of at most 3,000 characters.

    At most `max_blocks` blocks come back; lines that do not fit are counted
    in a last "…and N more" context, so a long list never breaks a message.
    """
    if max_blocks < 1:
        return []
    blocks: Blocks = []
    current = f"*{escape(title)}*" if title else ""
    for index, line in enumerate(lines):
        line = line if len(line) <= MAX_TEXT - 10 else line[: MAX_TEXT - 11] + "…"
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= MAX_TEXT:
            current = candidate
            continue
        # The current section is full: close it, unless that leaves no room to say what is left.
        if len(blocks) + 2 >= max_blocks:
            blocks.append(section(current))
            blocks.append(context(and_more(len(lines) - index, more)))
            return blocks
        blocks.append(section(current))
        current = line
    if current:
        blocks.append(section(current))
    return blocks


def to_dicts(blocks: Sequence[Block]) -> list[dict]:
    return [block.to_dict() for block in blocks]


def view(
    *,
    title: str,
    blocks: Sequence[Block],
    callback_id: str = Callback.NOTICE,
    submit: str | None = None,
    close: str | None = "Close",
    private_metadata: str | None = None,
) -> dict:
    """A modal as a dict, validated by `slack_sdk.models.views.View` (limits included)."""
    modal = View(
        type="modal",
        callback_id=callback_id,
        title=plain(title, MAX_TITLE),
        submit=plain(submit, MAX_TITLE) if submit else None,
        close=plain(close, MAX_TITLE) if close else None,
        blocks=list(blocks),
        private_metadata=private_metadata,
    )
    return modal.to_dict()


def notice(title: str, *paragraphs: str, extra: Sequence[Block] = ()) -> dict:
    """A modal that only says something: thank you, done, a kind error."""
    return view(title=title, blocks=[section(paragraph) for paragraph in paragraphs if paragraph] + list(extra))
