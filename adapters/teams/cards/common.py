"""The building blocks of every card: elements, inputs, buttons, and the text rules applied once.

* `text()` is for the bot's own words and the operator's script text
  (markdown allowed); `user_text()` is for anything a person typed or a
  display name: a TextRun, which Teams never renders as markdown or turns
  into a mention.
* `dialog_button()` opens a dialog (task module): an `Action.Submit` whose
  data carries `msteams.type = task/fetch`. Clients without dialogs (the
  Agents Playground and the Bot Framework Emulator, i.e. local mode) get the
  card through `without_dialogs`, and the form comes as a card instead. `submit()` is a plain
  `Action.Submit` (inside a dialog it submits the dialog; on a card in a
  personal chat it sends the bot a message only the bot sees).

Why `Action.Submit` and not `Action.Execute`: only `Action.Submit` can open
a dialog, and every button on a shared card opens one, so that answers,
refusals and errors are shown to the one person who tapped, never in the
shared conversation. `Action.Execute` would add the Universal Actions
refresh machinery for no gain here, and the Agents Playground and the Bot
Framework Emulator render `Action.Submit` as Teams does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from botbuilder.core import CardFactory
from botbuilder.schema import Attachment

from adapters.teams.ids import VERB, Verb
from adapters.teams.text import safe
from bot.wording import clip

VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_TEXT = 5000
MAX_TITLE = 80

Element = dict[str, Any]


def card(body: Sequence[Element], actions: Sequence[Element] = (), *, fallback: str | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": list(body)}
    if actions:
        content["actions"] = list(actions)
    if fallback:
        content["fallbackText"] = fallback
    return content


def attachment(content: dict[str, Any]) -> Attachment:
    return CardFactory.adaptive_card(content)


def as_dict(content: dict[str, Any]) -> dict[str, Any]:
    """The attachment as a dialog response wants it."""
    return {"contentType": CONTENT_TYPE, "content": content}


def text(value: str, *, size: str | None = None, weight: str | None = None, subtle: bool = False,
         color: str | None = None, spacing: str | None = None, separator: bool = False, style: str | None = None,
         element_id: str | None = None) -> Element:
    """A TextBlock of the bot's own words (markdown allowed)."""
    block: Element = {"type": "TextBlock", "text": clip(value, MAX_TEXT) or " ", "wrap": True}
    if size:
        block["size"] = size
    if weight:
        block["weight"] = weight
    if subtle:
        block["isSubtle"] = True
    if color:
        block["color"] = color
    if spacing:
        block["spacing"] = spacing
    if separator:
        block["separator"] = True
    if style:
        block["style"] = style
    if element_id:
        block["id"] = element_id
    return block


def heading(value: str) -> Element:
    return text(value, size="Large", weight="Bolder", style="heading")


def subheading(value: str, *, separator: bool = False) -> Element:
    return text(value, weight="Bolder", spacing="Medium", separator=separator)


def warning(value: str) -> Element:
    return text(value, color="Attention", weight="Bolder")


def user_text(value: str, *, limit: int = 2000, prefix: str | None = None, subtle: bool = False,
              italic: bool = False) -> Element:
    """Text a person typed (or a display name), shown literally: never markdown, never a mention."""
    inlines: list[Element] = []
    if prefix:
        inlines.append({"type": "TextRun", "text": prefix, "weight": "Bolder"})
    run: Element = {"type": "TextRun", "text": safe(value, limit) or " "}
    if subtle:
        run["isSubtle"] = True
    if italic:
        run["italic"] = True
    inlines.append(run)
    return {"type": "RichTextBlock", "inlines": inlines}


def bullets(lines: Iterable[str]) -> Element:
    return text("\n".join(f"- {line}" for line in lines))


def container(items: Sequence[Element], *, style: str | None = None, separator: bool = False,
              spacing: str | None = None, element_id: str | None = None) -> Element:
    block: Element = {"type": "Container", "items": list(items)}
    if style:
        block["style"] = style
    if separator:
        block["separator"] = True
    if spacing:
        block["spacing"] = spacing
    if element_id:
        block["id"] = element_id
    return block


# --- buttons ---------------------------------------------------------------------------------


def _data(verb: str, values: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {VERB: str(verb)}
    data.update({key: str(value) for key, value in values.items() if value is not None})
    return data


def submit(title: str, verb: str, *, style: str | None = None, **values: Any) -> Element:
    action: Element = {"type": "Action.Submit", "title": clip(title, MAX_TITLE), "data": _data(verb, values)}
    if style:
        action["style"] = style
    return action


def dialog_button(title: str, verb: str, *, style: str | None = None, **values: Any) -> Element:
    """A button that opens a dialog: Teams sends `task/fetch` with this data."""
    action = submit(title, verb, style=style, **values)
    action["data"]["msteams"] = {"type": "task/fetch"}
    return action


OPEN = "o"
"""In a button's data, when dialogs are off: this button opens a form (it would have opened a dialog)."""


def without_dialogs(content: dict[str, Any]) -> dict[str, Any]:
    """The card for a client without dialogs: every dialog button becomes a plain submit marked `o`."""

    def closes_a_dialog(node: Any) -> bool:
        return isinstance(node, dict) and (node.get("data") or {}).get(VERB) == Verb.DONE

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            node = {key: walk(value) for key, value in node.items()}
            data = node.get("data")
            if node.get("type") == "Action.Submit" and isinstance(data, dict) and \
                    (data.get("msteams") or {}).get("type") == "task/fetch":
                node["data"] = {key: value for key, value in data.items() if key != "msteams"} | {OPEN: "1"}
            if isinstance(node.get("actions"), list):  # "Done" closes a dialog; a card has nothing to close
                node["actions"] = [action for action in node["actions"] if not closes_a_dialog(action)]
                if not node["actions"] and node.get("type") == "AdaptiveCard":
                    del node["actions"]
            return node
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(content)


def open_url(title: str, url: str) -> Element:
    return {"type": "Action.OpenUrl", "title": clip(title, MAX_TITLE), "url": url}


def action_set(actions: Sequence[Element]) -> Element:
    return {"type": "ActionSet", "actions": list(actions)}


# --- inputs ----------------------------------------------------------------------------------


def text_input(input_id: str, label: str, *, multiline: bool = False, max_length: int | None = None,
               placeholder: str | None = None, value: str | None = None, required: bool = False,
               error: str | None = None) -> Element:
    element: Element = {"type": "Input.Text", "id": input_id, "label": label, "isMultiline": multiline}
    if max_length:
        element["maxLength"] = max_length
    if placeholder:
        element["placeholder"] = placeholder
    if value:
        element["value"] = value
    if required:
        element["isRequired"] = True
        element["errorMessage"] = error or "Please fill this in."
    return element


def choice_input(input_id: str, label: str, choices: Sequence[tuple[str, str]], *, expanded: bool = False,
                 multi: bool = False, value: str | None = None, required: bool = False,
                 placeholder: str | None = None, error: str | None = None) -> Element:
    """A choice set; `choices` are (title, value) pairs; a multi-select value is comma-separated."""
    element: Element = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "style": "expanded" if expanded else "compact",
        "isMultiSelect": multi,
        "choices": [{"title": safe(title, 150) or value_, "value": value_} for title, value_ in choices],
    }
    offered = {value_ for _, value_ in choices}
    kept = [item for item in (value or "").split(",") if item in offered] if multi else \
        ([value] if value in offered else [])
    if kept:  # a value that is not offered (a stale or altered submission) is not shown again
        element["value"] = ",".join(kept)
    if placeholder and not expanded:
        element["placeholder"] = placeholder
    if required:
        element["isRequired"] = True
        element["errorMessage"] = error or "Please pick one."
    return element


def date_input(input_id: str, label: str, *, minimum: str | None = None, value: str | None = None) -> Element:
    element: Element = {"type": "Input.Date", "id": input_id, "label": label}
    if minimum:
        element["min"] = minimum
    if value:
        element["value"] = value
    return element


def toggle(input_id: str, title: str, *, value: bool = False) -> Element:
    return {
        "type": "Input.Toggle",
        "id": input_id,
        "title": title,
        "value": "true" if value else "false",
        "valueOn": "true",
        "valueOff": "false",
    }
