"""Ingestion: bytes from any source -> one normalised, enriched ``Article``.

``parse.parse_document`` is the entry point; one module per input format, plus
``normalise`` (text, HTML, dates), ``enrich`` (tags, sentiment) and ``identity``.
"""
