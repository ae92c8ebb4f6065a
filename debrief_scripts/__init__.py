"""Debrief scripts and support-resource sets, as YAML data (validated by bot.scripts)."""
