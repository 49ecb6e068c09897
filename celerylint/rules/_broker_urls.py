"""Whether two broker (or result backend) URLs certainly point at different places.

Text alone says too much: `amqp://guest@rabbitmq//` and `amqp://guest@rabbitmq:5672//`
are one broker, as kombu reads them (treeherder's compose file writes both). A URL
is read as kombu does for the transports whose defaults are known (RabbitMQ and
Redis): the transport, the host, the port with its default, and the virtual host
or database; credentials and query options pick no other broker. Any other URL is
compared as written, and only its transport family can tell two apart.
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import unquote, urlsplit

# Transport names kombu gives the same transport, and its default port.
_FAMILIES = {
    "amqp": ("amqp", 5672),
    "pyamqp": ("amqp", 5672),
    "librabbitmq": ("amqp", 5672),
    "amqps": ("amqps", 5671),
    "redis": ("redis", 6379),
    "rediss": ("rediss", 6379),
}
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})

# (family, host, port, virtual host or database)
Place = tuple[str, str, int, str]


def certainly_different(first: str, second: str) -> bool:
    """The two URLs name different brokers (or backends), whatever kombu fills in."""
    if first == second:
        return False
    places = _place(first), _place(second)
    if places[0] is not None and places[1] is not None:
        return places[0] != places[1]
    # Not both read: different transports still tell them apart.
    return _family(first) != _family(second)


def _family(url: str) -> str:
    scheme = url.partition("://")[0].lower() if "://" in url else url
    return _FAMILIES.get(scheme, (scheme, 0))[0]


def _place(url: str) -> Optional[Place]:
    """Where a RabbitMQ or Redis URL points; None for another, or one not read (several
    URLs for failover, a bad port)."""
    if ";" in url or "://" not in url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    known = _FAMILIES.get(parts.scheme.lower())
    if known is None or not parts.hostname:
        return None
    family, default_port = known
    host = parts.hostname.lower()
    host = "localhost" if host in _LOOPBACK else host
    path = unquote(parts.path[1:])  # the first `/` only separates it
    if family.startswith("amqp"):
        where = path or "/"  # `amqp://host`, `amqp://host/` and `amqp://host//`: vhost `/`
    else:
        where = path.strip("/") or "0"
        if not where.isdigit():
            return None
        where = str(int(where))
    return family, host, port if port is not None else default_port, where
