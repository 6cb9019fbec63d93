"""`python -m radval_desktop` = the `radval` command."""

import sys

from radval_desktop.cli import main

sys.exit(main())
