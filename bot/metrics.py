"""Prometheus counters for `/metrics`. Labels never carry a person, a debrief or a team.

Answers are deliberately not counted here: a counter scraped every few
seconds would time each answer far more finely than the batched counter in
the channel allows, which is exactly what the anonymity model forbids.
"""

from prometheus_client import Counter

DEBRIEFS_STARTED = Counter("debrief_debriefs_started", "Debriefs started", ["platform"])
FOLLOWUPS_SENT = Counter("debrief_followups_sent", "Follow-up messages delivered", ["platform"])
