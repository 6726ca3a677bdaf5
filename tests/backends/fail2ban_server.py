"""A real fail2ban server for tests, configured and run entirely inside a temp dir.

The Debian configuration in /etc/fail2ban is copied; ``fail2ban.local`` moves the socket,
pidfile, database and log into the temp dir, and ``jail.local`` enables two jails that watch
an empty log with the polling backend and ban through the ``dummy`` action (it only appends
to a file), so neither systemd, inotify nor iptables is needed. Ban with
``server.ban(jail, ip)`` (``fail2ban-client set <jail> banip <ip>``).

Use the ``fail2ban_server`` fixture, or ``running_fail2ban()`` for a server of your own.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

FAIL2BAN_CONFIG = Path("/etc/fail2ban")
JAILS = ("garda-ssh", "garda-web")
START_TIMEOUT = 30.0  # seconds; the server is usually ready in well under one
COMMAND_TIMEOUT = 10.0


@dataclass
class Fail2banServer:
    """One running fail2ban server and the paths a client needs to reach it."""

    directory: Path
    config_dir: Path
    socket: Path
    jails: tuple[str, ...]
    client: str
    process: subprocess.Popen[bytes]

    @property
    def running(self) -> bool:
        """The server process has not exited."""
        return self.process.poll() is None

    def command(self, *args: str) -> str:
        """What ``fail2ban-client -s SOCKET args…`` prints; fails the test if it fails."""
        done = self.run(*args)
        assert done.returncode == 0, f"fail2ban-client {' '.join(args)}: {done.stderr.strip()}"
        return done.stdout

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``fail2ban-client -s SOCKET args…``, whatever its outcome."""
        return subprocess.run(
            [self.client, "-s", str(self.socket), *args],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )

    def ban(self, jail: str, *addresses: str) -> None:
        """Ban ``addresses`` in ``jail`` (``set <jail> banip …``)."""
        self.command("set", jail, "banip", *addresses)

    def banned_ips(self, jail: str) -> list[str]:
        """The "Banned IP list" of ``fail2ban-client status <jail>``."""
        for line in self.command("status", jail).splitlines():
            if "Banned IP list:" in line:
                return line.split(":", 1)[1].split()
        raise AssertionError(f"no banned IP list in the status of {jail}")

    def jail_names(self) -> list[str]:
        """The "Jail list" of ``fail2ban-client status``."""
        return _jail_list(self.run("status"))

    def stop(self) -> None:
        """``fail2ban-client stop``, then kill the server if it is still there."""
        if self.running:
            with suppress(subprocess.TimeoutExpired):
                self.run("stop")
            try:
                self.process.wait(timeout=COMMAND_TIMEOUT)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _jail_list(done: subprocess.CompletedProcess[str]) -> list[str]:
    if done.returncode != 0:
        return []
    for line in done.stdout.splitlines():
        if "Jail list:" in line:
            return [jail.strip() for jail in line.split(":", 1)[1].split(",") if jail.strip()]
    return []


def write_config(directory: Path, jails: tuple[str, ...]) -> Path:
    """Copy /etc/fail2ban into ``directory/etc`` and point everything at ``directory``."""
    config = directory / "etc"
    shutil.copytree(FAIL2BAN_CONFIG, config)
    # Drop the machine's own jail and server overrides (Debian enables sshd, which needs
    # /var/log/auth.log); only the settings below apply.
    for overrides in ("jail.d", "fail2ban.d"):
        shutil.rmtree(config / overrides, ignore_errors=True)
        (config / overrides).mkdir()
    (config / "jail.local").unlink(missing_ok=True)
    empty_log = directory / "empty.log"
    empty_log.touch()
    (config / "fail2ban.local").write_text(
        "[Definition]\n"
        "loglevel = INFO\n"
        f"logtarget = {directory / 'fail2ban.log'}\n"
        "syslogsocket = auto\n"
        f"socket = {directory / 'fail2ban.sock'}\n"
        f"pidfile = {directory / 'fail2ban.pid'}\n"
        f"dbfile = {directory / 'fail2ban.sqlite3'}\n"
        "allowipv6 = auto\n"
    )
    # The dummy action writes to /var/run/fail2ban by default.
    (config / "action.d" / "dummy.local").write_text(
        f"[Init]\ntarget = {directory / 'banned-by-dummy'}\n"
    )
    sections = "".join(
        f"\n[{jail}]\nenabled = true\nfilter = sshd\nlogpath = {empty_log}\n" for jail in jails
    )
    (config / "jail.local").write_text(
        "[DEFAULT]\n"
        "backend = polling\n"
        "banaction = dummy\n"
        "banaction_allports = dummy\n"
        "bantime = 1h\n"
        "ignoreip =\n"  # the tests ban documentation and private addresses alike
        "ignoreself = false\n" + sections
    )
    return config


@contextmanager
def running_fail2ban(jails: tuple[str, ...] = JAILS) -> Iterator[Fail2banServer]:
    """A fail2ban server with ``jails``, stopped and removed on exit (skips if not installed)."""
    client = shutil.which("fail2ban-client")
    if shutil.which("fail2ban-server") is None or client is None:
        pytest.skip("fail2ban is not installed (Debian package fail2ban: fail2ban-server)")
    if not FAIL2BAN_CONFIG.is_dir():
        pytest.skip(f"fail2ban is installed but {FAIL2BAN_CONFIG} is missing")
    # A short directory of its own: unix socket paths are limited to ~107 bytes, more than
    # pytest's tmp_path for a long test name may leave.
    directory = Path(tempfile.mkdtemp(prefix="garda-f2b-"))
    try:
        config = write_config(directory, jails)
        socket = directory / "fail2ban.sock"
        # Foreground (-f) so this process owns the server and can always kill it.
        with (directory / "server.out").open("wb") as output:
            process = subprocess.Popen(
                [client, "-c", str(config), "-s", str(socket), "-f", "start"],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Fail2banServer(directory, config, socket, jails, client, process)
        try:
            _wait_until_ready(server)
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _wait_until_ready(server: Fail2banServer) -> None:
    """Poll ``status`` until every jail is listed: ``ping`` answers before the jails exist."""
    deadline = time.monotonic() + START_TIMEOUT
    while set(server.jail_names()) != set(server.jails):
        if not server.running:
            output = (server.directory / "server.out").read_text(errors="replace")
            raise RuntimeError(f"fail2ban-server exited at start:\n{output[-2000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"fail2ban-server was not ready within {START_TIMEOUT:g} s")
        time.sleep(0.02)


@pytest.fixture
def fail2ban_server() -> Iterator[Fail2banServer]:
    """A running fail2ban server with the jails in :data:`JAILS`, none banning anything."""
    with running_fail2ban() as server:
        yield server
