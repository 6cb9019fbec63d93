"""Entry point of the frozen app: the same `radval` command as a pip install gives."""

import sys

from radval_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
