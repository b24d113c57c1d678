"""Delivery: the outbox as the core sees it, the dispatcher and its per-adapter lanes, pacing
and shared send budgets, and neutral rendering of alerts. Imports models, ports and config only
(plus ``bot.alerts`` for breaking pins and story edits).
"""
