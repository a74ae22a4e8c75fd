"""`python -m bot` is `bpu-bot`."""

from bot.cli import main

main()
