"""A fixed pure-Python workload whose CPU time tells how fast the machine
runs at the moment ("cpuref"): the same code's figures on these machines
have moved by up to half between hours, and a figure is only comparable
with another taken at the same cpuref.

    python3 bench/cpuref.py            # one line: cpuref 39.1 ms

``bench/campaigns.py`` prints it before its runs. The workload (dictionary
updates keyed by short strings, integer sums) is the kind of work Django and
WeasyPrint do; it touches no file, database or network.
"""

import time

ROUNDS = 5
UPDATES = 300_000


def _round() -> int:
    counts: dict[str, int] = {}
    for i in range(UPDATES):
        counts[str(i % 5_000)] = counts.get(str(i % 5_000), 0) + i
    return sum(counts.values())


def cpuref_ms() -> float:
    """CPU time of one round, in milliseconds (the mean of ``ROUNDS``)."""
    started = time.process_time()
    for _ in range(ROUNDS):
        _round()
    return (time.process_time() - started) / ROUNDS * 1e3


if __name__ == "__main__":
    print(f"cpuref {cpuref_ms():.1f} ms")
