"""A strict validator for Adaptive Cards 1.5, as the Teams tests need it.

Written from the official schema (adaptivecards.io/schemas/1.5.0, the
`schemas/1.5.0/adaptive-card.json` of microsoft/AdaptiveCards), for the
element and action types of version 1.5 and no later: every property must
be one the schema lists for that type (`additionalProperties: false` there
too), required ones must be present, enums must hold, and nested elements
are checked the same way. Types of 1.6 or hosts' extensions (Table is 1.5
and allowed; `Input.Rating`, `Icon`, `msteams` at the top are not) fail.

`validate(card)` returns a list of problems (empty when valid); the fake
Bot Connector calls it on every card the bot sends, and the tests on every
card a dialog answers with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

VERSION = "1.5"

SPACING = {"default", "none", "small", "medium", "large", "extraLarge", "padding"}
HORIZONTAL = {"left", "center", "right"}
VERTICAL = {"top", "center", "bottom"}
CONTAINER_STYLE = {"default", "emphasis", "good", "attention", "warning", "accent"}
COLORS = {"default", "dark", "light", "accent", "good", "warning", "attention"}
SIZES = {"default", "small", "medium", "large", "extraLarge"}
WEIGHTS = {"default", "lighter", "bolder"}
FONT = {"default", "monospace"}
ACTION_STYLE = {"default", "positive", "destructive"}
ACTION_MODE = {"primary", "secondary"}
HEIGHT = {"auto", "stretch"}
ASSOCIATED_INPUTS = {"auto", "none"}

# Properties every element accepts (Element / Extendable.Element in the schema).
ELEMENT_COMMON = {"type", "id", "spacing", "separator", "height", "isVisible", "requires", "fallback"}
INPUT_COMMON = ELEMENT_COMMON | {"errorMessage", "isRequired", "label"}
ACTION_COMMON = {"type", "id", "title", "iconUrl", "style", "fallback", "tooltip", "isEnabled", "mode", "requires"}

ELEMENTS: dict[str, tuple[set[str], set[str]]] = {
    # type: (own properties, required)
    "TextBlock": ({"text", "color", "fontType", "horizontalAlignment", "isSubtle", "maxLines", "size", "weight",
                   "wrap", "style"}, {"text"}),
    "RichTextBlock": ({"inlines", "horizontalAlignment"}, {"inlines"}),
    "Image": ({"url", "altText", "backgroundColor", "horizontalAlignment", "selectAction", "size", "style", "width"},
              {"url"}),
    "Container": ({"items", "selectAction", "style", "verticalContentAlignment", "bleed", "backgroundImage",
                   "minHeight", "rtl"}, {"items"}),
    "ColumnSet": ({"columns", "selectAction", "style", "bleed", "minHeight", "horizontalAlignment"}, set()),
    "FactSet": ({"facts"}, {"facts"}),
    "ImageSet": ({"images", "imageSize"}, {"images"}),
    "ActionSet": ({"actions"}, {"actions"}),
    "Table": ({"columns", "rows", "firstRowAsHeader", "showGridLines", "gridStyle",
               "horizontalCellContentAlignment", "verticalCellContentAlignment"}, set()),
    "Input.Text": ({"isMultiline", "maxLength", "placeholder", "regex", "style", "inlineAction", "value"}, {"id"}),
    "Input.Number": ({"max", "min", "placeholder", "value"}, {"id"}),
    "Input.Date": ({"max", "min", "placeholder", "value"}, {"id"}),
    "Input.Time": ({"max", "min", "placeholder", "value"}, {"id"}),
    "Input.Toggle": ({"title", "value", "valueOff", "valueOn", "wrap"}, {"id", "title"}),
    "Input.ChoiceSet": ({"choices", "isMultiSelect", "style", "value", "placeholder", "wrap"}, {"id"}),
}
INPUT_TYPES = {name for name in ELEMENTS if name.startswith("Input.")}

ACTIONS: dict[str, tuple[set[str], set[str]]] = {
    "Action.Submit": ({"data", "associatedInputs"}, set()),
    "Action.Execute": ({"verb", "data", "associatedInputs"}, set()),
    "Action.OpenUrl": ({"url"}, {"url"}),
    "Action.ShowCard": ({"card"}, set()),
    "Action.ToggleVisibility": ({"targetElements"}, {"targetElements"}),
}

CARD_PROPERTIES = {"type", "version", "refresh", "authentication", "body", "actions", "selectAction", "fallbackText",
                   "backgroundImage", "minHeight", "rtl", "speak", "lang", "verticalContentAlignment", "$schema"}


def validate(card: Any, *, top: bool = True) -> list[str]:
    """Every problem with `card` as an Adaptive Card 1.5 (an empty list when it is valid)."""
    problems: list[str] = []
    if not isinstance(card, dict):
        return ["the card is not an object"]
    if card.get("type") != "AdaptiveCard":
        problems.append(f"type is {card.get('type')!r}, not 'AdaptiveCard'")
    if top and card.get("version") != VERSION:
        problems.append(f"version is {card.get('version')!r}, not {VERSION!r}")
    for key in sorted(set(card) - CARD_PROPERTIES):
        problems.append(f"AdaptiveCard has no property {key!r}")
    body = card.get("body", [])
    if not isinstance(body, list):
        problems.append("body is not a list")
        body = []
    actions = card.get("actions", [])
    if not isinstance(actions, list):
        problems.append("actions is not a list")
        actions = []
    if not body and not actions:
        problems.append("the card shows nothing (no body, no actions)")
    _check_string(card, "fallbackText", problems, "AdaptiveCard")
    ids: dict[str, int] = {}
    for index, element in enumerate(body):
        _element(element, f"body[{index}]", problems, ids)
    for index, action in enumerate(actions):
        _action(action, f"actions[{index}]", problems, ids)
    for element_id, count in ids.items():
        if count > 1:
            problems.append(f"id {element_id!r} is used {count} times")
    return problems


def _check_string(obj: dict[str, Any], key: str, problems: list[str], where: str) -> None:
    if key in obj and not isinstance(obj[key], str):
        problems.append(f"{where}.{key} is not a string")


def _enum(obj: dict[str, Any], key: str, allowed: set[str], problems: list[str], where: str) -> None:
    if key in obj:
        value = obj[key]
        if not isinstance(value, str) or value.lower() not in {item.lower() for item in allowed}:
            problems.append(f"{where}.{key} is {value!r}, not one of {sorted(allowed)}")


def _boolean(obj: dict[str, Any], key: str, problems: list[str], where: str) -> None:
    if key in obj and not isinstance(obj[key], bool):
        problems.append(f"{where}.{key} is not a boolean")


def _element(element: Any, where: str, problems: list[str], ids: dict[str, int]) -> None:
    if not isinstance(element, dict):
        problems.append(f"{where} is not an object")
        return
    kind = element.get("type")
    if kind not in ELEMENTS:
        problems.append(f"{where} has type {kind!r}, which Adaptive Cards 1.5 does not have")
        return
    own, required = ELEMENTS[kind]
    allowed = own | (INPUT_COMMON if kind in INPUT_TYPES else ELEMENT_COMMON)
    where = f"{where}({kind})"
    for key in sorted(set(element) - allowed):
        problems.append(f"{where} has no property {key!r}")
    for key in sorted(required - set(element)):
        problems.append(f"{where} is missing {key!r}")
    if "id" in element:
        if not isinstance(element["id"], str) or not element["id"]:
            problems.append(f"{where}.id is not a non-empty string")
        else:
            ids[element["id"]] = ids.get(element["id"], 0) + 1
    _enum(element, "spacing", SPACING, problems, where)
    _enum(element, "height", HEIGHT, problems, where)
    _enum(element, "horizontalAlignment", HORIZONTAL, problems, where)
    for flag in ("separator", "isVisible", "isRequired", "wrap", "isSubtle", "isMultiline", "isMultiSelect", "bleed"):
        _boolean(element, flag, problems, where)
    if kind in INPUT_TYPES:
        _check_string(element, "label", problems, where)
        _check_string(element, "errorMessage", problems, where)
        if element.get("isRequired") and not element.get("label"):
            problems.append(f"{where} is required but has no label (Teams shows required inputs by their label)")
    CHECKS.get(kind, lambda *a: None)(element, where, problems, ids)


def _text_block(element: dict[str, Any], where: str, problems: list[str], ids: dict[str, int]) -> None:
    if not isinstance(element.get("text"), str) or not element["text"].strip():
        problems.append(f"{where}.text is empty")
    _enum(element, "color", COLORS, problems, where)
    _enum(element, "size", SIZES, problems, where)
    _enum(element, "weight", WEIGHTS, problems, where)
    _enum(element, "fontType", FONT, problems, where)
    _enum(element, "style", {"default", "heading"}, problems, where)
    if "maxLines" in element and not isinstance(element["maxLines"], int):
        problems.append(f"{where}.maxLines is not a number")


INLINE = {"type", "text", "color", "fontType", "highlight", "isSubtle", "italic", "selectAction", "size",
          "strikethrough", "underline", "weight"}


def _rich_text(element: dict[str, Any], where: str, problems: list[str], ids: dict[str, int]) -> None:
    inlines = element.get("inlines")
    if not isinstance(inlines, list) or not inlines:
        problems.append(f"{where}.inlines is not a non-empty list")
        return
    for index, inline in enumerate(inlines):
        here = f"{where}.inlines[{index}]"
        if isinstance(inline, str):
            continue
        if not isinstance(inline, dict) or inline.get("type") != "TextRun":
            problems.append(f"{here} is not a TextRun")
            continue
        for key in sorted(set(inline) - INLINE):
            problems.append(f"{here} has no property {key!r}")
        if not isinstance(inline.get("text"), str):
            problems.append(f"{here}.text is not a string")
        _enum(inline, "color", COLORS, problems, here)
        _enum(inline, "size", SIZES, problems, here)
        _enum(inline, "weight", WEIGHTS, problems, here)
        for flag in ("isSubtle", "italic", "highlight", "strikethrough", "underline"):
            _boolean(inline, flag, problems, here)


def _container(element: dict[str, Any], where: str, problems: list[str], ids: dict[str, int]) -> None:
    items = element.get("items")
    if not isinstance(items, list):
        problems.append(f"{where}.items is not a list")
        return
    _enum(element, "style", CONTAINER_STYLE, problems, where)
    _enum(element, "verticalContentAlignment", VERTICAL, problems, where)
    for index, item in enumerate(items):
        _element(item, f"{where}.items[{index}]", problems, ids)


COLUMN = ELEMENT_COMMON | {"items", "backgroundImage", "bleed", "minHeight", "rtl", "selectAction", "style",
                           "verticalContentAlignment", "width"}


def _column_set(element: dict[str, Any], where: str, problems: list[str], ids: dict[str, int]) -> None:
    for index, column in enumerate(element.get("columns") or []):
        here = f"{where}.columns[{index}]"
        if not isinstance(column, dict) or column.get("type", "Column") != "Column":
            problems.append(f"{here} is not a Column")
            continue
        for key in sorted(set(column) - COLUMN):
            problems.append(f"{here} has no property {key!r}")
        for item_index, item in enumerate(column.get("items") or []):
            _element(item, f"{here}.items[{item_index}]", problems, ids)


def _fact_set(element: dict[str, Any], where: str, problems: list[str], ids: dict[str, int]) -> None:
    for index, fact in enumerate(element.get("facts") or []):
        if not isinstance(fact, dict) or set(fact) - {"title", "value"} or not all(
            isinstance(fact.get(key), str) for key in ("title", "value")
        ):
            problems.append(f"{where}.facts[{index}] is not a Fact (title and value strings)")


def _action_set(element: dict[str, Any], where: str, problems: list[str], ids: dict[str, int]) -> None:
    actions = element.get("actions")
    if not isinstance(actions, list) or not actions:
        problems.append(f"{where}.actions is not a non-empty list")
        return
    for index, action in enumerate(actions):
        _action(action, f"{where}.actions[{index}]", problems, ids)


def _input_text(element: dict[str, Any], where: str, problems: list[str], ids: dict[str, int]) -> None:
    _enum(element, "style", {"text", "tel", "url", "email", "password"}, problems, where)
    if "maxLength" in element and (not isinstance(element["maxLength"], int) or element["maxLength"] < 1):
        problems.append(f"{where}.maxLength is not a positive number")
    _check_string(element, "value", problems, where)
    _check_string(element, "placeholder", problems, where)
    value, limit = element.get("value"), element.get("maxLength")
    if isinstance(value, str) and isinstance(limit, int) and len(value) > limit:
        problems.append(f"{where}.value is longer than its maxLength")


def _choice_set(element: dict[str, Any], where: str, problems: list[str], ids: dict[str, int]) -> None:
    _enum(element, "style", {"compact", "expanded", "filtered"}, problems, where)
    choices = element.get("choices")
    if not isinstance(choices, list):
        problems.append(f"{where}.choices is not a list")
        return
    values = []
    for index, choice in enumerate(choices):
        here = f"{where}.choices[{index}]"
        if not isinstance(choice, dict) or set(choice) - {"type", "title", "value"} or choice.get("type", "Input.Choice") != "Input.Choice":
            problems.append(f"{here} is not an Input.Choice")
            continue
        if not isinstance(choice.get("title"), str) or not isinstance(choice.get("value"), str):
            problems.append(f"{here} needs a title and a value, both strings")
        values.append(choice.get("value"))
    if len(values) != len(set(values)):
        problems.append(f"{where} has two choices with the same value")
    if "value" in element:
        chosen = str(element["value"]).split(",") if element.get("isMultiSelect") else [str(element["value"])]
        for item in chosen:
            if item not in values:
                problems.append(f"{where}.value {item!r} is not one of its choices")


def _toggle(element: dict[str, Any], where: str, problems: list[str], ids: dict[str, int]) -> None:
    for key in ("title", "value", "valueOn", "valueOff"):
        _check_string(element, key, problems, where)
    if "value" in element and element["value"] not in (element.get("valueOn", "true"), element.get("valueOff", "false")):
        problems.append(f"{where}.value is neither valueOn nor valueOff")


def _date(element: dict[str, Any], where: str, problems: list[str], ids: dict[str, int]) -> None:
    import re

    for key in ("min", "max", "value"):
        if key in element and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(element[key])):
            problems.append(f"{where}.{key} is not YYYY-MM-DD")


CHECKS: dict[str, Callable[[dict[str, Any], str, list[str], dict[str, int]], None]] = {
    "TextBlock": _text_block,
    "RichTextBlock": _rich_text,
    "Container": _container,
    "ColumnSet": _column_set,
    "FactSet": _fact_set,
    "ActionSet": _action_set,
    "Input.Text": _input_text,
    "Input.ChoiceSet": _choice_set,
    "Input.Toggle": _toggle,
    "Input.Date": _date,
}


def _action(action: Any, where: str, problems: list[str], ids: dict[str, int]) -> None:
    if not isinstance(action, dict):
        problems.append(f"{where} is not an object")
        return
    kind = action.get("type")
    if kind not in ACTIONS:
        problems.append(f"{where} has type {kind!r}, which Adaptive Cards 1.5 does not have")
        return
    own, required = ACTIONS[kind]
    where = f"{where}({kind})"
    for key in sorted(set(action) - (own | ACTION_COMMON)):
        problems.append(f"{where} has no property {key!r}")
    for key in sorted(required - set(action)):
        problems.append(f"{where} is missing {key!r}")
    if not isinstance(action.get("title"), str) or not action["title"].strip():
        problems.append(f"{where} has no title (a button without words)")
    _enum(action, "style", ACTION_STYLE, problems, where)
    _enum(action, "mode", ACTION_MODE, problems, where)
    _enum(action, "associatedInputs", ASSOCIATED_INPUTS, problems, where)
    if "data" in action and not isinstance(action["data"], (dict, str)):
        problems.append(f"{where}.data is neither an object nor a string")
    if kind == "Action.OpenUrl" and not str(action.get("url", "")).startswith(("https://", "http://")):
        problems.append(f"{where}.url is not a web address")
    if kind == "Action.ShowCard":
        problems += [f"{where}.card: {problem}" for problem in validate(action.get("card"), top=False)]


def assert_valid(card: Any) -> None:
    problems = validate(card)
    assert not problems, "invalid Adaptive Card 1.5:\n  " + "\n  ".join(problems)
