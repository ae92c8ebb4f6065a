"""Logging as `serve` sets it up (baseline: what basicConfig did)."""

from __future__ import annotations

import logging


def configure(level: str, handler: logging.Handler | None = None) -> None:
    root = logging.getLogger()
    root.setLevel(level.upper())
    root.addHandler(handler or logging.StreamHandler())
