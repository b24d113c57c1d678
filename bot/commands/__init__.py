"""Commands: the chat command language every adapter shares.

``CommandHandler.handle(cmd) -> Reply``; the parser, per-area command modules and the
bot's words (replies). Reads and writes through ports.
"""
