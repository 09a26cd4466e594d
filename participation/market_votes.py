"""Money as votes, without participation importing the apps that hold money.

An app that knows who backed or bought what registers a provider here
(``register("campaigns", provider)`` in its AppConfig.ready). A provider takes
a process and returns, per project code, the set of distinct supporters'
keys (``"user:12"``, ``"email:a@b.org"``). The process then shows a
"supporters with money" ranking and, when ``Process.market_votes`` is on,
counts each distinct supporter as one approval ballot of weight
``market_vote_weight`` approving the projects they supported: one backer one
vote, not one euro one vote.
"""

from collections.abc import Callable

Provider = Callable[[object], dict[str, set[str]]]
Counter = Callable[[object], dict[str, int]]

_providers: dict[str, Provider] = {}
_counters: dict[str, Counter] = {}


def register(name: str, provider: Provider, *, counts: Counter | None = None) -> None:
    """``counts`` (optional) gives ``len()`` of each of the provider's sets
    without building them: the ranking uses it when it is the only provider
    (with several, a supporter found by two of them counts once, which only
    their keys can tell)."""
    _providers[name] = provider
    if counts is None:
        _counters.pop(name, None)
    else:
        _counters[name] = counts


def unregister(name: str) -> None:
    _providers.pop(name, None)
    _counters.pop(name, None)


def supporters_by_project(process) -> dict[str, set[str]]:
    """Distinct supporters of each project code, over every provider."""
    merged: dict[str, set[str]] = {}
    for provider in _providers.values():
        for code, keys in provider(process).items():
            merged.setdefault(code, set()).update(keys)
    return merged


def supporters_ranking(process) -> list[tuple[str, int]]:
    """``(project code, distinct supporters)``, most supported first, ties by code."""
    if len(_providers) == 1 and _counters.keys() == _providers.keys():
        (counter,) = _counters.values()
        counts = counter(process)
    else:
        counts = {
            code: len(keys) for code, keys in supporters_by_project(process).items()
        }
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def market_ballots(process) -> list[frozenset[str]]:
    """One approval set per distinct supporter: the projects they supported."""
    by_supporter: dict[str, set[str]] = {}
    for code, keys in supporters_by_project(process).items():
        for key in keys:
            by_supporter.setdefault(key, set()).add(code)
    return [frozenset(by_supporter[key]) for key in sorted(by_supporter)]
