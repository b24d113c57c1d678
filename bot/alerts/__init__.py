"""Alerts: from a stored article to outbox rows — match subscriptions, one alert per chat and
story, schedule (digests, quiet hours), breaking news and story edits.

May import ``bot.models``, ``bot.ports``, ``bot.config``, ``bot.ingest`` and ``bot.delivery`` types.
"""
