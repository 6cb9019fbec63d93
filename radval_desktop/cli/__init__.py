"""`radval`: the command line (main.py), with its larger subcommands in their own modules."""

from radval_desktop.cli.main import main

__all__ = ["main"]
