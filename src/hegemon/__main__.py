"""``python -m hegemon`` runs the command line."""

from hegemon.cli import main

main()
