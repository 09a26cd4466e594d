"""Where the reference pabulib elections live.

They are the workplace's shared data (``../shared/pabulib`` next to the
project checkout, ``/work/shared/pabulib`` on these machines), not part of the
repository. ``PABULIB_DIR`` overrides both, for a checkout anywhere else.
"""

import os
from pathlib import Path

_CANDIDATES = [
    os.environ.get("PABULIB_DIR", ""),
    str(Path(__file__).resolve().parents[1].parent / "shared" / "pabulib"),
    "/work/shared/pabulib",
]


def pabulib_dir() -> Path:
    for candidate in _CANDIDATES:
        if candidate and (Path(candidate) / "expected.json").is_file():
            return Path(candidate)
    return Path(_CANDIDATES[1])


PABULIB_DIR = pabulib_dir()
