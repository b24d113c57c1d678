"""Live sources: watched folders and RSS/Atom feeds that feed the ingest pipeline."""
