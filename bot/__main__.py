"""`python -m bot` runs the same CLI as the `cryptowire` command."""

from bot.cli.main import main

if __name__ == "__main__":
    main()
