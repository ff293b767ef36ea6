import sys

from hubtools.cli import main

sys.exit(main())
