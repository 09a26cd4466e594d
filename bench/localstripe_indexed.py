"""The localstripe emulator with its lists indexed by object type, for benchmarks.

    .venv-stripe/bin/python bench/localstripe_indexed.py --port 8421

localstripe 1.15 finds the objects of a type by scanning its whole store
(``StripeObject._api_list_all``), and it does so several times for every
PaymentIntent it creates or returns: a charge's ``refunds``,
``amount_refunded`` and ``refunded`` are lists computed that way, and a
customer's ``subscriptions`` too. With the 10,000 customers, cards and
intents of ``bench/campaigns.py close`` in the store, one off-session charge
then costs the emulator about 100 ms, which is the emulator's cost, not
ours (Stripe does not slow down as an account grows). This wrapper keeps an
index of the store by object type, so those lists cost what the objects of
that type cost; nothing else changes (same objects, same order, same
answers). Runs ``bin/localstripe_loopback.py`` (loopback only, in memory).

``--charge-latency-ms 200`` also makes every PaymentIntent creation answer
that much later (without blocking other requests), as Stripe's own charges
take a few hundred milliseconds.

``--snapshot PATH`` writes the whole store to PATH (pickle) when the process
gets SIGUSR1, and ``--restore PATH`` starts from such a file: with a copy of
the database taken at the same moment (``createdb -T``), a benchmark's set-up
is done once and its runs start from the same state (bench/README.md).
"""

import argparse
import asyncio
import importlib.util
import pickle
import signal
import sys
from collections import defaultdict
from pathlib import Path

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError

_by_type: dict[str, dict] = defaultdict(dict)


def _kind(key: str) -> str:
    return key.split(":", 1)[0]


def _setitem(self, key, value):
    dict.__setitem__(self, key, value)
    _by_type[_kind(key)][key] = value
    self.dump_to_disk()


def _delitem(self, key):
    dict.__delitem__(self, key)
    _by_type[_kind(key)].pop(key, None)
    self.dump_to_disk()


def _clear(self):
    dict.clear(self)
    _by_type.clear()


@classmethod
def _api_list_all(cls, url, limit=None, starting_after=None, **kwargs):
    if kwargs:
        raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
    found = resources.List(url, limit=limit, starting_after=starting_after)
    found._list = list(_by_type[cls.object].values())
    return found


def _charge_latency(seconds: float):
    @web.middleware
    async def middleware(request, handler):
        if request.method == "POST" and request.path == "/v1/payment_intents":
            await asyncio.sleep(seconds)
        return await handler(request)

    return middleware


def _snapshot_on_signal(path: Path) -> None:
    def write():
        # Called by the event loop between two steps of its tasks, so never
        # in the middle of a request's changes to the store.
        scratch = path.with_suffix(".part")
        with scratch.open("wb") as out:
            pickle.dump(dict(resources.store), out, protocol=pickle.HIGHEST_PROTOCOL)
        scratch.replace(path)
        print(f"snapshot of {len(resources.store)} objects in {path}", flush=True)

    async def install(app):
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, write)

    server.app.on_startup.append(install)


def _restore(path: Path) -> None:
    with path.open("rb") as saved:
        objects = pickle.load(saved)  # noqa: S301 - a file this script wrote
    dict.update(resources.store, objects)


def main() -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--charge-latency-ms", type=float, default=0.0)
    parser.add_argument("--snapshot", type=Path, default=None)
    parser.add_argument("--restore", type=Path, default=None)
    ours, sys.argv[1:] = parser.parse_known_args()
    if ours.restore:
        _restore(ours.restore)
    if ours.snapshot:
        _snapshot_on_signal(ours.snapshot)
    if ours.charge_latency_ms:
        server.app.middlewares.append(_charge_latency(ours.charge_latency_ms / 1e3))
    resources.Store.__setitem__ = _setitem
    resources.Store.__delitem__ = _delitem
    resources.Store.clear = _clear
    resources.StripeObject._api_list_all = _api_list_all
    for key, value in resources.store.items():
        _by_type[_kind(key)][key] = value
    path = Path(__file__).resolve().parent.parent / "bin" / "localstripe_loopback.py"
    spec = importlib.util.spec_from_file_location("localstripe_loopback", path)
    loopback = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loopback)
    loopback.main()


if __name__ == "__main__":
    main()
