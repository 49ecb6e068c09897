"""Broker URLs that name the same broker as kombu reads them are not told apart (CL606)."""

from __future__ import annotations

import pytest
from kombu import Connection

from celerylint.rules._broker_urls import certainly_different

SAME_RABBITMQ = [
    "amqp://guest:guest@rabbitmq//",
    "amqp://guest:guest@rabbitmq:5672//",
    "amqp://rabbitmq",
    "amqp://rabbitmq/",
    "pyamqp://other:secret@RabbitMQ:5672//",
]


@pytest.mark.parametrize("url", SAME_RABBITMQ[1:])
def test_rabbitmq_urls_kombu_reads_alike_are_one_broker(url: str) -> None:
    first = SAME_RABBITMQ[0]
    # kombu's own reading, without the credentials (another user, the same broker).
    assert Connection(url).as_uri().split("@")[-1] == Connection(first).as_uri().split("@")[-1]
    assert not certainly_different(first, url)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("amqp://rabbitmq//", "amqp://rabbitmq:5673//"),
        ("amqp://rabbitmq//", "amqp://rabbitmq/orders"),
        ("amqp://rabbitmq//", "amqp://broker//"),
        ("redis://redis:6379/0", "redis://redis:6379/1"),
        ("redis://redis", "redis://redis/2"),
        ("redis://redis:6379/0", "amqp://redis//"),
        ("sqs://", "redis://redis"),
    ],
)
def test_other_brokers_are_told_apart(first: str, second: str) -> None:
    assert certainly_different(first, second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("redis://redis", "redis://redis:6379/0"),
        ("redis://localhost:6379", "redis://127.0.0.1/0"),
        ("rediss://:secret@cache:6379/1?ssl_cert_reqs=none", "rediss://cache/1"),
        # Not read (another transport, failover lists): only the transport could differ.
        ("sqs://key:secret@", "sqs://"),
        ("amqp://a//;amqp://b//", "amqp://a//"),
    ],
)
def test_urls_not_certainly_different(first: str, second: str) -> None:
    assert not certainly_different(first, second)
