"""The edges of the bot: the HTTP server, the command line, and one package per platform.

`bot/` decides and stores; everything here translates a platform's events
into calls on `bot.core.Core` and renders what comes back.
"""
