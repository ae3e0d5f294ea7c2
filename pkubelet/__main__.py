"""`python -m pkubelet` (how the daemon is spawned: no console-script lookup needed)."""
import sys

from pkubelet.main import main

sys.exit(main())
