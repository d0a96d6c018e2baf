"""The Dask scheduler of ``backtest --scheduler``: its address checked and
the scheduler itself probed before a Dask ``Client`` is made.

A ``Client`` alone is no good judge of a wrong address: it reads whatever
a peer sends first as a frame length (an SSH banner is a 3 EiB frame, a
MemoryError), waits without a deadline for a peer that says nothing (an
HTTP server), retries a refused connection for its whole timeout, and one
that failed to start hangs twice its timeout when it is collected at exit.
So the address must be ``tcp://`` or ``tls://`` with a host and a port; a
plain TCP connection tells a closed port or an unknown host at once; then
Dask's own connection handshake and an ``identity`` call, within what is
left of one deadline, tell a Dask scheduler from anything else (a Dask
worker included); and a Client that fails to start all the same is
closed at once.  Every failure is a :class:`UsageError` naming the address.

The deadline is Dask's ``distributed.comm.timeouts.connect`` (30 s unless
configured, e.g. ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=10s``).
"""

from __future__ import annotations

import asyncio
import socket
import time
from contextlib import suppress
from typing import Any

from reviewbot.errors import UsageError

SCHEMES = ("tcp", "tls")
EXAMPLE = "e.g. tcp://scheduler:8786"


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError("--scheduler needs Dask's distributed package: pip install 'reviewbot[cluster]'") from None
    return distributed


def connect_timeout() -> float:
    """Seconds to reach the scheduler and finish the handshake (Dask's
    ``distributed.comm.timeouts.connect``)."""
    _distributed()  # which sets the defaults of Dask's configuration
    import dask.config
    from dask.utils import parse_timedelta

    return float(parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="seconds"))


def parse_scheduler(address: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a scheduler address (no scheme is tcp)."""
    _distributed()
    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(address)
    if scheme not in SCHEMES:
        raise UsageError(f"--scheduler {address}: unknown address scheme {scheme!r}, "
                         f"expected tcp:// or tls:// ({EXAMPLE})")
    try:
        host, port = parse_host_port(location)
    except ValueError:
        raise UsageError(f"--scheduler {address}: not an address of the form tcp://HOST:PORT ({EXAMPLE})") from None
    if not host or not 0 < port < 65536:
        raise UsageError(f"--scheduler {address}: not an address of the form tcp://HOST:PORT ({EXAMPLE})")
    return scheme, host, port


def check_scheduler(address: str, timeout: float | None = None) -> None:
    """Raise :class:`UsageError` unless a Dask scheduler answers at ``address``
    within ``timeout`` seconds (default :func:`connect_timeout`)."""
    timeout = connect_timeout() if timeout is None else timeout
    deadline = time.monotonic() + timeout
    scheme, host, port = parse_scheduler(address)
    from distributed.security import Security

    connection_args = Security().get_connection_args("client")
    if scheme == "tls" and connection_args.get("ssl_context") is None:
        raise UsageError(f"--scheduler {address}: tls:// needs Dask's TLS settings (distributed.comm.tls.ca-file, "
                         "distributed.comm.tls.client.cert and .key)")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except ConnectionRefusedError:
        raise UsageError(f"--scheduler {address}: no scheduler listening (connection refused)") from None
    except socket.gaierror as exc:
        raise UsageError(f"--scheduler {address}: unknown host {host!r} ({exc.strerror})") from None
    except TimeoutError:
        raise UsageError(f"--scheduler {address}: no answer within {timeout:g} s") from None
    except OSError as exc:
        raise UsageError(f"--scheduler {address}: cannot connect: {exc.strerror or exc}") from None
    left = max(deadline - time.monotonic(), 0.1)
    try:
        kind = asyncio.run(asyncio.wait_for(_identify(address, left, connection_args), left))
    except TimeoutError:
        raise UsageError(f"--scheduler {address}: not a Dask scheduler "
                         f"(no answer to Dask's handshake within {timeout:g} s)") from None
    except Exception as exc:  # noqa: BLE001 - whatever a stranger's bytes make of Dask's reader
        raise UsageError(f"--scheduler {address}: not a Dask scheduler ({_what_went_wrong(exc)})") from None
    if kind != "Scheduler":
        what = f"a Dask {kind}, not the scheduler" if isinstance(kind, str) else "not a Dask scheduler"
        raise UsageError(f"--scheduler {address}: {what}")


async def _identify(address: str, timeout: float, connection_args: dict[str, Any]) -> object:
    """The ``type`` a Dask server at ``address`` says it is."""
    from distributed.comm import connect

    comm = await connect(address, timeout=timeout, **connection_args)
    try:
        await comm.write({"op": "identity", "reply": True})
        reply = await comm.read()
    finally:
        comm.abort()
    return reply.get("type") if isinstance(reply, dict) else None


def _what_went_wrong(exc: BaseException) -> str:
    from distributed.comm import CommClosedError

    if isinstance(exc, CommClosedError):
        return "it closed the connection"
    if isinstance(exc, OSError):
        return str(exc) or type(exc).__name__
    garbage = "it answered something other than Dask's protocol"
    if isinstance(exc, (MemoryError, OverflowError)) or not str(exc):  # a frame length made of other bytes
        return garbage
    return f"{garbage}: {type(exc).__name__}: {exc}"


def connect_client(address: str) -> Any:
    """A Dask ``Client`` of the scheduler at ``address``, checked first
    (:func:`check_scheduler`); UsageError if it cannot be had."""
    distributed = _distributed()
    timeout = connect_timeout()
    check_scheduler(address, timeout)

    class Client(distributed.Client):  # type: ignore[misc,name-defined]
        """Closed at once if it does not start, not when collected at exit."""

        def start(self, **kwargs: Any) -> None:
            try:
                super().start(**kwargs)
            except BaseException:
                with suppress(Exception):
                    self.close(timeout=timeout)
                raise

    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - the check passed: the scheduler misbehaves, not this code
        reason = f"no answer within {timeout:g} s" if isinstance(exc, TimeoutError) else \
            f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise UsageError(f"--scheduler {address}: the Dask client did not start ({reason})") from None
