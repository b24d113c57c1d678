"""Enrich: what an article is about (coin and topic tags) and how it reads (sentiment, language).

Pure functions over text and the shipped data in ``bot/data``; imports only ``bot.models``.
"""
