"""boto3 clients, made lazily (cold starts stay short; tests start moto first).

Endpoints and credentials come from the environment (AWS_ENDPOINT_URL on the
local stack), so production and the local stack run the same code.
"""
import functools

from . import config


@functools.lru_cache(maxsize=None)
def client(service: str):
    import boto3  # noqa: deferred: boto3 is slow to import

    return boto3.session.Session().client(service, region_name=config.region())


def reset_clients() -> None:
    """Forget cached clients (tests start a fresh moto per test)."""
    client.cache_clear()
