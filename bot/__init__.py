"""Cryptowire core: platform-neutral news indexing, matching and delivery."""

__version__ = "0.1.0"
