"""Prometheus counters for `/metrics`. Labels never carry a person, a debrief or a team."""

from prometheus_client import Counter, Histogram

DEBRIEFS_STARTED = Counter("debrief_debriefs_started", "Debriefs started", ["platform"])
ANSWERS_RECORDED = Counter("debrief_answers_recorded", "Anonymous answer sets stored", ["platform"])
REQUEST_ERRORS = Counter("debrief_request_errors", "Requests that failed, by cause", ["platform", "cause"])
FOLLOWUPS_SENT = Counter("debrief_followups_sent", "Follow-up messages delivered", ["platform"])
REQUEST_SECONDS = Histogram("debrief_request_seconds", "Time to answer platform requests", ["platform"])
