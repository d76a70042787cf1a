"""Build the site: `python build.py [options]` is `digest build [options]`."""

import sys

from digest.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
