"""``python -m sandbox``: start the vendor sandboxes (see ``sandbox/run.py``)."""

from sandbox.run import main

raise SystemExit(main())
