import sys

from predictnas.cli import main

sys.exit(main())
