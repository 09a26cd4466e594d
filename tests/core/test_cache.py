"""The Redis cache with one client per server (core.cache), on the real Redis."""

import pytest

from core.cache import ReusedClientRedisCache

# The local Redis every machine of ours runs (as tests/core/test_ratelimit.py).
REDIS_URL = "redis://127.0.0.1:6379/9"


@pytest.fixture
def redis_cache():
    cache = ReusedClientRedisCache(REDIS_URL, {"KEY_PREFIX": "test-core-cache"})
    yield cache
    cache.delete_many(["a", "b", "counter"])


def test_values_go_to_redis_and_come_back(redis_cache):
    redis_cache.set("a", {"pledged_cents": 1250}, 30)

    assert redis_cache.get("a") == {"pledged_cents": 1250}
    assert redis_cache.add("a", "other", 30) is False
    assert redis_cache.add("b", "first", 30) is True
    redis_cache.set("counter", 1, 30)
    assert redis_cache.incr("counter", 2) == 3
    redis_cache.delete("a")
    assert redis_cache.get("a") is None


def test_one_client_object_serves_every_call(redis_cache):
    client = redis_cache._cache.get_client(write=True)

    redis_cache.set("a", 1, 30)
    redis_cache.get("a")

    assert redis_cache._cache.get_client(write=False) is client
    assert redis_cache._cache.get_client("b", write=True) is client
    assert client.connection_pool is redis_cache._cache._get_connection_pool(True)
