"""The platform-neutral core of the debrief bot.

Nothing in this package imports Slack or Teams code: adapters translate
platform events into calls on the services here and render what they return.
"""
