"""The fail2ban firewall: which jails ban an address, and lifting the ban, via fail2ban-client.

Garda never talks to fail2ban's socket protocol itself; it runs the ``fail2ban-client`` binary
(no shell, an argument list) and reads what it prints. Only one syntactically valid IP address
and checked jail names ever reach that command line.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import ipaddress
import logging
import os
import re
import signal
from typing import TYPE_CHECKING

from handlers.backends import BackendError

if TYPE_CHECKING:
    from bot.config import Settings

logger = logging.getLogger(__name__)

# fail2ban's own jail names look like ``sshd``, ``nginx-http-auth``, ``postfix-sasl``; a name
# starting with "-" would be read as an option by fail2ban-client.
_JAIL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,99}")
# "2024-01-01 10:00:00,123 fail2ban   [42]: ERROR   " in front of fail2ban-client's messages.
_LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ \S+\s+\[\d+\]: [A-Z]+\s+")
_SUMMARY_LIMIT = 200


class RefusedInput(BackendError, ValueError):
    """An address or jail name that is never passed to fail2ban-client."""


def checked_address(address: str) -> str:
    """``address`` as one normalised IP address, or :class:`RefusedInput`."""
    try:
        parsed = ipaddress.ip_address(address) if isinstance(address, str) else None
    except ValueError:
        parsed = None
    # A scope id ("fe80::1%eth0") may hold any text, so it is refused too.
    if parsed is None or (isinstance(parsed, ipaddress.IPv6Address) and parsed.scope_id):
        raise RefusedInput(f"{_shorten(repr(address))} is not a single IP address")
    return str(parsed)


def checked_jail(jail: str) -> str:
    """``jail`` if it looks like a fail2ban jail name, or :class:`RefusedInput`."""
    if not isinstance(jail, str) or not _JAIL.fullmatch(jail):
        raise RefusedInput(f"{_shorten(repr(jail))} is not a fail2ban jail name")
    return jail


class Fail2banFirewall:
    """The :class:`handlers.backends.Firewall` of a fail2ban server, through fail2ban-client."""

    name = "fail2ban"

    def __init__(
        self,
        *,
        client: str = "fail2ban-client",
        socket: str | None = None,
        config_dir: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if timeout <= 0:
            raise ValueError("the fail2ban-client timeout must be positive")
        self._client = client
        self._options: list[str] = []
        if config_dir:
            self._options += ["-c", config_dir]
        if socket:
            self._options += ["-s", socket]
        self._timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> Fail2banFirewall:
        """The firewall described by GARDA_FAIL2BAN_CLIENT, _SOCKET and GARDA_BACKEND_TIMEOUT."""
        return cls(
            client=settings.fail2ban_client,
            socket=settings.fail2ban_socket,
            timeout=settings.backend_timeout,
        )

    async def banned_in(self, address: str) -> list[str]:
        """The jails that currently ban ``address``; empty if none."""
        return await self._jails_banning(checked_address(address))

    async def unban(self, address: str, jails: list[str]) -> None:
        """Lift the ban on ``address`` in each of ``jails``, then check it is gone there."""
        ip = checked_address(address)
        names = list(dict.fromkeys(checked_jail(jail) for jail in jails))
        if not names:
            return
        for jail in names:
            answer = await self._run("set", jail, "unbanip", ip)
            if answer.strip() not in ("0", "1"):
                raise _unexpected(f"set {jail} unbanip", answer)
            logger.info("fail2ban: unbanned %s in %s (%s removed)", ip, jail, answer.strip())
        still = [jail for jail in await self._jails_banning(ip) if jail in names]
        if still:
            raise BackendError(f"fail2ban still bans {ip} in {', '.join(still)} after unbanning")

    async def _jails_banning(self, ip: str) -> list[str]:
        try:
            answer = await self._run("banned", ip)
        except _InvalidCommand:  # fail2ban before 0.11 has no "banned": read every jail's list
            return await self._jails_listing(ip)
        return _parse_banned(answer)

    async def _jails_listing(self, ip: str) -> list[str]:
        found = []
        answer = await self._run("status")
        for jail in _parse_field(answer, "Jail list", "status", sep=","):
            if not _JAIL.fullmatch(jail):
                raise _unexpected("status", answer)
            listed = _parse_field(await self._run("status", jail), "Banned IP list")
            if ip in {_normalised(entry) for entry in listed}:
                found.append(jail)
        return found

    async def _run(self, *command: str) -> str:
        """What fail2ban-client prints for ``command``; BackendError if it fails."""
        argv = [self._client, *self._options, *command]
        try:
            # A session of its own, so a timeout kills anything the client started too.
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise BackendError(f"fail2ban-client not found: {self._client}") from None
        except PermissionError:
            raise BackendError(f"fail2ban-client is not executable: {self._client}") from None
        except OSError as error:
            raise BackendError(f"could not run fail2ban-client: {error.strerror}") from None
        try:
            async with asyncio.timeout(self._timeout):
                out, err = await process.communicate()
        except TimeoutError:
            raise BackendError(
                f"fail2ban-client {command[0]} did not answer within {self._timeout:g} s"
            ) from None
        finally:
            if process.returncode is None:
                _kill(process)
                await process.wait()
        stdout = out.decode("utf-8", "replace")
        if process.returncode:
            raise _failure(command, process.returncode, stdout, err.decode("utf-8", "replace"))
        return stdout


class _InvalidCommand(BackendError):
    """This fail2ban does not know the command (an older release)."""


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
        os.killpg(process.pid, signal.SIGKILL)


def _failure(command: tuple[str, ...], returncode: int, stdout: str, stderr: str) -> BackendError:
    """A short summary of why fail2ban-client failed (its own words, never a whole dump)."""
    errors = [_LOG_PREFIX.sub("", line).strip() for line in stderr.splitlines()]
    errors = [line for line in errors if line and not line.startswith("NOK:")]
    said = [line.strip() for line in stdout.splitlines() if line.strip()]
    reason = errors[-1] if errors else said[-1] if said else ""
    if "Invalid command" in said or any("Invalid command" in line for line in errors):
        return _InvalidCommand(f"fail2ban-client does not know the command {command[0]!r}")
    if reason.startswith("Failed to access socket path") or "Unable to contact server" in reason:
        return BackendError(f"fail2ban is not running ({_shorten(reason)})")
    if reason.startswith("Permission denied to socket"):
        return BackendError(f"fail2ban refused Garda: {_shorten(reason)}")
    if returncode < 0:
        reason = f"killed by signal {-returncode}"
    return BackendError(
        f"fail2ban-client {command[0]} failed: {_shorten(reason or f'exit status {returncode}')}"
    )


def _parse_banned(answer: str) -> list[str]:
    """The jails in ``banned IP``'s answer: one list of jail names per address asked."""
    try:
        value = ast.literal_eval(answer.strip())  # a Python literal; never eval()
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise _unexpected("banned", answer) from None
    if not (isinstance(value, list) and len(value) == 1 and isinstance(value[0], list)):
        raise _unexpected("banned", answer)
    jails = value[0]
    if not all(isinstance(jail, str) and _JAIL.fullmatch(jail) for jail in jails):
        raise _unexpected("banned", answer)
    return list(dict.fromkeys(jails))


def _parse_field(answer: str, field: str, command: str = "status JAIL", sep: str = "") -> list[str]:
    """The items of ``field`` in ``status`` output (``|- Jail list:\tsshd, web``)."""
    for line in answer.splitlines():
        label, colon, items = line.partition(":")
        if colon and label.lstrip("|`- ").strip() == field:
            return [item.strip() for item in items.split(sep or None) if item.strip()]
    raise _unexpected(command, answer)


def _normalised(entry: str) -> str:
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return entry


def _unexpected(command: str, answer: str) -> BackendError:
    return BackendError(f"unexpected answer from fail2ban-client {command}: {_shorten(answer)}")


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SUMMARY_LIMIT else text[: _SUMMARY_LIMIT - 1] + "…"
