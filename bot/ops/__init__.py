"""Operations: logging, metrics, the health endpoint, housekeeping and fleet roles.

Imports models, ports and config; used by ``bot.app`` and the CLI.
"""
