"""Fault fixtures: an audit hook that records (and refuses) every network attempt."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest

# Python audit events that mean "this process is about to talk to another machine"
# (https://docs.python.org/3/library/audit_events.html). Name lookups count: a DNS query
# already tells a server which host the app wanted.
_NETWORK_EVENTS = frozenset({
    "socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.gethostbyaddr", "http.client.connect", "urllib.Request",
})

_attempts: list[tuple[str, str]] | None = None  # None: the hook is idle


def _is_local_socket(args: tuple[Any, ...]) -> bool:
    sock = args[0] if args else None
    return isinstance(sock, socket.socket) and sock.family == getattr(socket, "AF_UNIX", -1)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _attempts is None or event not in _NETWORK_EVENTS:
        return
    if event.startswith("socket.") and event != "socket.getaddrinfo" and _is_local_socket(args):
        return  # AF_UNIX stays on this machine
    _attempts.append((event, repr(args)[:200]))
    raise ConnectionRefusedError(f"network use in a test that promises none: {event}")


# An audit hook cannot be removed once added, so one idle hook serves the whole session.
sys.addaudithook(_audit)


@pytest.fixture
def network_attempts() -> Iterator[list[tuple[str, str]]]:
    """Every network attempt made while the test runs; each one is also refused."""
    global _attempts
    _attempts = []
    try:
        yield _attempts
    finally:
        _attempts = None
