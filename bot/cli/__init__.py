"""The ``cryptowire`` command line (typer): one module per area of subcommands, and the demo.

The outermost layer of the core: may import every other ``bot`` package, never storage or adapters.
"""
