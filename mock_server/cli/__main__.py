"""``python -m mock_server.cli``."""

import sys

from mock_server.cli.command import main

sys.exit(main())
