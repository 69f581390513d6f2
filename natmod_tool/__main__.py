"""`python -m natmod_tool`."""

import sys

from .cli import main

sys.exit(main())
