"""Sources: watched folders and RSS/Atom feeds, polled by the scheduler, feeding ingest.

May import ``bot.ingest`` and ``bot.enrich``; the HTTP and file system work stays here.
"""
