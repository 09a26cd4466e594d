"""Run the localstripe emulator on loopback only (its own CLI listens on all
interfaces). Runs with the interpreter of its own virtual environment:

    .venv-stripe/bin/python bin/localstripe_loopback.py --port 8420
"""

import argparse
import logging

from aiohttp import web
from localstripe.resources import store
from localstripe.server import app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # Keep each emulator in memory: its CLI saves every write to one shared
    # /tmp file, which two emulators on one machine would fight over.
    store.dump_to_disk = lambda: None
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
