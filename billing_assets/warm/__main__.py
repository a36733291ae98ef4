"""`python -P -m billing_assets.warm serve [--idle-timeout SECONDS]`: run the warm server in this process."""

import sys

from billing_assets.warm import server

if __name__ == "__main__":
    sys.exit(server.serve_main(sys.argv[1:]))
