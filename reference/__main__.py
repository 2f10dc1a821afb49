"""``python -m reference``: the reference self-check (see reference.selfcheck)."""
import sys

from reference.selfcheck import main

sys.exit(main())
