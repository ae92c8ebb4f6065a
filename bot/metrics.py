"""Prometheus counters for `/metrics`. Labels never carry a person, a debrief or a team.

Answers are deliberately not counted here: a counter scraped every few
seconds would time each answer far more finely than the batched counter in
the channel allows, which is exactly what the anonymity model forbids.
"""

from prometheus_client import Counter

DEBRIEFS_STARTED = Counter("debrief_debriefs_started", "Debriefs started", ["platform"])
FOLLOWUPS_SENT = Counter("debrief_followups_sent", "Follow-up messages delivered", ["platform"])
SUPPORT_UNREACHED = Counter(
    "debrief_support_unreached",
    "Requests to talk that no person could be told of (when made, or when escalated)",
    ["platform", "when"],
)
SUPPORT_ESCALATED = Counter(
    "debrief_support_escalated", "Requests to talk nobody took on within DEBRIEF_SUPPORT_RESPONSE, sent again", ["platform"]
)
