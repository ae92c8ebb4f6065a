"""Alembic migrations of the debrief bot schema (run by `debrief-bot db upgrade`)."""
