"""`python -m demo_firm <dir> [--seed N]`."""

from demo_firm.generate import main

raise SystemExit(main())
