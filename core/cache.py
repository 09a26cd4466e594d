"""Django's Redis cache, with one Redis client per server made once.

``django.core.cache.backends.redis.RedisCacheClient`` builds a new
``redis.Redis`` around the shared connection pool for every cache call:
about 65 us each, paid by every pledge (``campaigns.page_cache``), page view
and rate-limit check. A ``redis.Redis`` is safe to share between threads
(each command takes a connection from the pool), and its pool reconnects in
a forked child, so one client per pool serves the whole process.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            # The pools live as long as this object: their ids stay theirs.
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusedClientRedisCache(RedisCache):
    """``RedisCache`` whose client objects are made once per server."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
