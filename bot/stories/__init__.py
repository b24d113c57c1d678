"""Stories: which earlier story, if any, reports the same event as a new article.

Pure scoring and band keys; the store looks candidates up.
Imports ``bot.models`` and ``bot.enrich``.
"""
