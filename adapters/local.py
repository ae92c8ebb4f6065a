"""Is this request from this machine? Decided from the TCP peer, never from the request's own content.

Teams local mode (no app id, nothing authenticated) and `/metrics` on the
main port answer only this machine. The peer address is the socket's, as
the kernel reports it; a request that carries a forwarding header came
through a proxy, so its peer (the proxy) says nothing about the client:
behind a reverse proxy on the same host every request would look local.
Such requests are refused too.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from bot.settings import is_loopback_host

FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def peer_address(request: web.Request) -> str | None:
    """The TCP peer's address, from the transport (aiohttp's `request.remote` may be rewritten)."""
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    if isinstance(peer, (tuple, list)) and peer:
        return str(peer[0])
    return None


def refusal(headers: Mapping[str, str], peer: str | None) -> str | None:
    """Why a request with these headers (case-insensitive, as aiohttp's) from `peer` is not from this machine."""
    for header in FORWARDING_HEADERS:
        if header in headers:
            return f"it came through a proxy ({header} header)"
    if not peer or not is_loopback_host(peer):
        return f"its peer {peer or 'unknown'} is not this machine"
    return None


def not_local(request: web.Request) -> str | None:
    """`refusal` for an aiohttp request: None when it is from this machine, directly."""
    return refusal(request.headers, peer_address(request))
