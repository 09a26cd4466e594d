"""Rate limits on the actions worth abusing: logging in, signing up, asking
for a password reset, voting, proposing and supporting, pledging and paying,
placing a shop order, casting a purchase vote.

Each limited action has a *scope* with a rate in ``settings.RATE_LIMITS``
(``"10/m"``: ten per minute). A request counts once against every key that
applies to it: the client's IP address always, the user when logged in, and a
submitted form field when the view names one (login: the e-mail typed, so one
account cannot be tried from many addresses). Counters are fixed windows in
Django's cache: one atomic increment per key and window, on Redis all of a
request's keys in one ``MULTI`` (``SET NX EX`` then ``INCR`` each), on any
other backend ``add`` then ``incr``. When any key is over its limit the view
does not run: the client gets our 429 page with ``Retry-After`` and nothing
is written.

Only the methods the view names count (POST by default: showing a form is
free). ``RATE_LIMIT_ENABLED = False`` turns every limit off.

    @rate_limited("vote")                       # a class-based view
    class BallotView(...): ...

    @rate_limited("login", field="username")    # a function view or as_view()
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import render

logger = logging.getLogger("security.ratelimit")

# The time source, in seconds since the epoch; tests put a clock of their own here.
clock: Callable[[], float] = time.time

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Rate:
    """At most ``count`` requests per window of ``seconds``."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"10/m"``, ``"100/h"``, ``"5/10m"`` (five per ten minutes)."""
        match = _RATE.match(str(text))
        if not match or int(match[1]) < 1 or int(match[2] or 1) < 1:
            raise ImproperlyConfigured(
                f"Bad rate {text!r}: write it as <count>/<unit>, e.g. 10/m or "
                "5/10m, with a unit of s, m, h or d."
            )
        return cls(int(match[1]), int(match[2] or 1) * _UNITS[match[3]])


@dataclass(frozen=True)
class Refusal:
    """The key that was over its limit, and when its window ends."""

    scope: str
    key_kind: str
    retry_after: int


def rate_for(scope: str) -> Rate:
    try:
        return Rate.parse(settings.RATE_LIMITS[scope])
    except KeyError:
        raise ImproperlyConfigured(f"RATE_LIMITS has no rate for {scope!r}.") from None


# --- who is asking ---------------------------------------------------------


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR``, unless the site runs behind
    ``RATE_LIMIT_TRUSTED_PROXIES`` proxies that each append the address they
    saw to ``X-Forwarded-For``; then the client is the hop added by the
    outermost trusted proxy (counting from the right). Anything to its left
    was written by the client and is never believed. An IPv6 client counts as
    its /64 network (one household, one machine usually holds a whole /64)."""
    remote = request.META.get("REMOTE_ADDR", "")
    address = remote
    trusted = settings.RATE_LIMIT_TRUSTED_PROXIES
    if trusted:
        hops = [
            hop.strip()
            for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if hop.strip()
        ]
        if hops:
            address = hops[-trusted] if len(hops) >= trusted else hops[0]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # a garbled header: the proxy's address, never the text
        try:
            ip = ipaddress.ip_address(remote)
        except ValueError:
            return remote or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _keys(request, field: str | None) -> list[tuple[str, str]]:
    keys = [("ip", client_ip(request))]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        keys.append(("user", str(user.pk)))
    if field:
        value = request.POST.get(field, "").strip().lower()
        if value:
            keys.append((field, value))
    return keys


# --- counting --------------------------------------------------------------


def _digest(value: str) -> str:
    # Keys never hold an address or an e-mail in clear.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _increment(cache, keys: list[str], ttl: int) -> list[int]:
    """Add one to each key (created with ``ttl`` seconds to live); the new
    values. On Redis: one round trip, one MULTI (Django's RedisCache sends
    every write to its first server, so all the keys are there)."""
    client = getattr(cache, "_cache", None)
    if hasattr(client, "get_client"):  # django.core.cache.backends.redis
        names = [cache.make_and_validate_key(key) for key in keys]
        pipe = client.get_client(names[0], write=True).pipeline(transaction=True)
        for name in names:
            pipe.set(name, 0, ex=ttl, nx=True)
            pipe.incr(name)
        return [int(value) for value in pipe.execute()[1::2]]
    return [_increment_one(cache, key, ttl) for key in keys]


def _increment_one(cache, key: str, ttl: int) -> int:
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        if cache.add(key, 1, timeout=ttl):
            return 1
        return cache.incr(key)


def hit(scope: str, keys: Iterable[tuple[str, str]]) -> Refusal | None:
    """Count one request of ``scope`` against each key; the first key over
    its limit, or None when the request may go on."""
    rate = rate_for(scope)
    now = clock()
    window = int(now // rate.seconds)
    ends = (window + 1) * rate.seconds
    ttl = max(1, math.ceil(ends - now))
    keys = list(keys)
    if not keys:
        return None
    prefix = f"{settings.RATE_LIMIT_KEY_PREFIX}:{scope}"
    counts = _increment(
        caches[settings.RATE_LIMIT_CACHE],
        [f"{prefix}:{kind}:{_digest(value)}:{window}" for kind, value in keys],
        ttl,
    )
    for (kind, _value), count in zip(keys, counts, strict=True):
        if count > rate.count:
            return Refusal(scope=scope, key_kind=kind, retry_after=ttl)
    return None


def check(request, scope: str, *, methods: Iterable[str], field: str | None):
    """None when the request may go on; otherwise the 429 response."""
    if not settings.RATE_LIMIT_ENABLED or request.method not in methods:
        return None
    refusal = hit(scope, _keys(request, field))
    if refusal is None:
        return None
    user = getattr(request, "user", None)
    logger.warning(
        "rate limit %s exceeded by %s: ip=%s user=%s %s %s retry_after=%ss",
        scope,
        refusal.key_kind,
        client_ip(request),
        user.pk if user is not None and user.is_authenticated else "-",
        request.method,
        request.path,
        refusal.retry_after,
    )
    response = render(
        request,
        "429.html",
        {"retry_after": refusal.retry_after, "scope": scope},
        status=429,
    )
    response["Retry-After"] = str(refusal.retry_after)
    return response


# --- the decorator ---------------------------------------------------------


def rate_limited(
    scope: str, *, methods: Iterable[str] = ("POST",), field: str | None = None
):
    """Limit a view to ``settings.RATE_LIMITS[scope]``.

    On a class-based view it wraps ``dispatch`` once; a subclass decorated
    again keeps that wrapper and only changes the scope, so one request never
    counts twice. On a function (or ``View.as_view()``) it wraps the call.
    """
    rate_for(scope)  # a scope without a rate fails at import, not at the first POST
    spec = (scope, tuple(method.upper() for method in methods), field)

    def decorate(view):
        if isinstance(view, type):
            view.rate_limit = spec
            if not getattr(view.dispatch, "rate_limited", False):
                original = view.dispatch

                @functools.wraps(original)
                def dispatch(self, request, *args, **kwargs):
                    scope, methods, field = self.rate_limit
                    refused = check(request, scope, methods=methods, field=field)
                    if refused is not None:
                        return refused
                    return original(self, request, *args, **kwargs)

                dispatch.rate_limited = True
                view.dispatch = dispatch
            return view

        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            refused = check(request, spec[0], methods=spec[1], field=spec[2])
            if refused is not None:
                return refused
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
