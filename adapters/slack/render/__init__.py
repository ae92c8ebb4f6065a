"""Block Kit for the Slack adapter, built with `slack_sdk.models` so every
message and view is checked against Slack's schema and limits as it is made.

`common` holds the text rules; `script` the messages in the debrief channel;
`forms` the modals; `support`, `summary` and `home` the rest.
"""
