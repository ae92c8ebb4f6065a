"""Adaptive Cards (version 1.5) for the Teams adapter, as plain dicts built by small functions.

`common` holds the element builders and the text rules; `script` the cards
in the debrief's conversation; `forms` the dialogs (set-up, answers, action
point, skip, close); `support` the resources and support requests;
`summary` the officers' overview; `followup` the proactive check-ins.

Why no card library: the cards use a dozen element types, and botbuilder
already wraps a dict as an attachment (`CardFactory.adaptive_card`). A
builder library would add a dependency to type what a strict validator in
the tests checks anyway (tests/teams/adaptive_cards.py).
"""
