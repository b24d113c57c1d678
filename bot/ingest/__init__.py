"""Ingest: bytes from any source -> one normalised ``Article``, stored, grouped, announced.

``parse.parse_document`` detects the format (one module per input format), ``normalise`` cleans
text, HTML and dates, ``identity`` decides "same article", ``pipeline`` stores and notifies
listeners. May import ``bot.models``, ``bot.enrich`` and ``bot.stories``; never storage or adapters.
"""
