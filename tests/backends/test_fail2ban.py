"""The fail2ban firewall against a real fail2ban server (see fail2ban_server.py)."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.backends.fail2ban import Fail2banFirewall, RefusedInput
from bot.config import Settings
from handlers.backends import BackendError, Firewall

if TYPE_CHECKING:
    from tests.backends.fail2ban_server import Fail2banServer

# The fail2ban_server fixture (imported here only by name: pytest rewrites its asserts).

SSH, WEB = "garda-ssh", "garda-web"
ADDRESS = "203.0.113.7"


@pytest.fixture
def firewall(fail2ban_server: Fail2banServer) -> Fail2banFirewall:
    """Garda's backend pointed at the test server's socket."""
    return Fail2banFirewall(socket=str(fail2ban_server.socket), timeout=10)


def script(tmp_path: Path, body: str, name: str = "fail2ban-client") -> str:
    """An executable shell script standing in for fail2ban-client."""
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


def real_client() -> str:
    client = shutil.which("fail2ban-client")
    assert client is not None
    return client


def alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting for its reaper."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_it_is_a_firewall() -> None:
    firewall: Firewall = Fail2banFirewall()
    assert firewall.name == "fail2ban"


async def test_an_address_banned_in_one_jail(
    fail2ban_server: Fail2banServer, firewall: Fail2banFirewall
) -> None:
    fail2ban_server.ban(SSH, ADDRESS)
    assert await firewall.banned_in(ADDRESS) == [SSH]


async def test_an_address_banned_in_two_jails(
    fail2ban_server: Fail2banServer, firewall: Fail2banFirewall
) -> None:
    fail2ban_server.ban(SSH, ADDRESS)
    fail2ban_server.ban(WEB, ADDRESS, "198.51.100.1")
    assert sorted(await firewall.banned_in(ADDRESS)) == [SSH, WEB]
    assert await firewall.banned_in("198.51.100.1") == [WEB]


async def test_an_address_not_banned_anywhere(
    fail2ban_server: Fail2banServer, firewall: Fail2banFirewall
) -> None:
    fail2ban_server.ban(SSH, "198.51.100.1")
    assert await firewall.banned_in(ADDRESS) == []


async def test_unban_lifts_the_ban_in_every_jail_asked(
    fail2ban_server: Fail2banServer, firewall: Fail2banFirewall
) -> None:
    fail2ban_server.ban(SSH, ADDRESS, "198.51.100.1")
    fail2ban_server.ban(WEB, ADDRESS)
    await firewall.unban(ADDRESS, [SSH, WEB])
    assert fail2ban_server.banned_ips(SSH) == ["198.51.100.1"]
    assert fail2ban_server.banned_ips(WEB) == []
    assert await firewall.banned_in(ADDRESS) == []


async def test_unban_in_one_jail_leaves_the_other(
    fail2ban_server: Fail2banServer, firewall: Fail2banFirewall
) -> None:
    fail2ban_server.ban(SSH, ADDRESS)
    fail2ban_server.ban(WEB, ADDRESS)
    await firewall.unban(ADDRESS, [WEB])
    assert fail2ban_server.banned_ips(SSH) == [ADDRESS]
    assert fail2ban_server.banned_ips(WEB) == []


async def test_unban_where_it_is_not_banned_is_harmless(
    fail2ban_server: Fail2banServer, firewall: Fail2banFirewall
) -> None:
    await firewall.unban(ADDRESS, [SSH])
    assert fail2ban_server.banned_ips(SSH) == []


async def test_ipv6_in_any_spelling(
    fail2ban_server: Fail2banServer, firewall: Fail2banFirewall
) -> None:
    fail2ban_server.ban(WEB, "2001:db8::42")
    assert await firewall.banned_in("2001:DB8:0:0::42") == [WEB]
    await firewall.unban("2001:0db8::0042", [WEB])
    assert fail2ban_server.banned_ips(WEB) == []


async def test_a_jail_that_does_not_exist(firewall: Fail2banFirewall) -> None:
    with pytest.raises(BackendError, match="jail 'nosuchjail' does not exist"):
        await firewall.unban(ADDRESS, ["nosuchjail"])


async def test_the_config_dir_alone_finds_the_socket(fail2ban_server: Fail2banServer) -> None:
    fail2ban_server.ban(SSH, ADDRESS)
    firewall = Fail2banFirewall(config_dir=str(fail2ban_server.config_dir))
    assert await firewall.banned_in(ADDRESS) == [SSH]


async def test_from_settings(fail2ban_server: Fail2banServer) -> None:
    fail2ban_server.ban(WEB, ADDRESS)
    settings = Settings(
        _env_file=None,
        GARDA_FIREWALL="fail2ban",
        GARDA_FAIL2BAN_CLIENT=real_client(),
        GARDA_FAIL2BAN_SOCKET=str(fail2ban_server.socket),
        GARDA_BACKEND_TIMEOUT=5,
    )
    firewall = Fail2banFirewall.from_settings(settings)
    await firewall.unban(ADDRESS, [WEB])
    assert fail2ban_server.banned_ips(WEB) == []


async def test_without_the_banned_command_it_reads_each_jails_status(
    fail2ban_server: Fail2banServer, tmp_path: Path
) -> None:
    """fail2ban before 0.11 answers "Invalid command" to ``banned``."""
    old = script(
        tmp_path,
        'for arg; do [ "$arg" = banned ] && { echo "Invalid command"; exit 255; }; done\n'
        f'exec {real_client()} "$@"',
    )
    fail2ban_server.ban(SSH, "2001:db8::7", ADDRESS)
    fail2ban_server.ban(WEB, ADDRESS)
    firewall = Fail2banFirewall(client=old, socket=str(fail2ban_server.socket))
    assert await firewall.banned_in(ADDRESS) == [SSH, WEB]
    assert await firewall.banned_in("2001:0db8::7") == [SSH]
    assert await firewall.banned_in("198.51.100.1") == []


async def test_an_unban_that_does_not_take_is_reported(
    fail2ban_server: Fail2banServer, tmp_path: Path
) -> None:
    liar = script(
        tmp_path,
        'for arg; do [ "$arg" = unbanip ] && { echo 1; exit 0; }; done\n'
        f'exec {real_client()} "$@"',
    )
    fail2ban_server.ban(SSH, ADDRESS)
    firewall = Fail2banFirewall(client=liar, socket=str(fail2ban_server.socket))
    with pytest.raises(BackendError, match=f"still bans {ADDRESS} in {SSH}"):
        await firewall.unban(ADDRESS, [SSH])


BAD_ADDRESSES = [
    "1.2.3.4; rm -rf /",
    "1.2.3.0/24",
    "",
    " 1.2.3.4",
    "1.2.3.4\n",
    "1.2.3.4 5.6.7.8",
    "-h",
    "fe80::1%eth0; reboot",
    "001.002.003.004",
    "example.org",
]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
async def test_anything_but_one_address_is_refused_unrun(tmp_path: Path, address: str) -> None:
    ran = tmp_path / "ran"
    firewall = Fail2banFirewall(client=script(tmp_path, f"touch {ran}"))
    with pytest.raises(RefusedInput, match="is not a single IP address") as refused:
        await firewall.banned_in(address)
    with pytest.raises(BackendError):
        await firewall.unban(address, [SSH])
    assert isinstance(refused.value, ValueError)
    assert not ran.exists()


@pytest.mark.parametrize("jail", ["-x", "sshd; rm -rf /", "", "a b", "../sshd"])
async def test_odd_jail_names_are_refused_unrun(tmp_path: Path, jail: str) -> None:
    ran = tmp_path / "ran"
    firewall = Fail2banFirewall(client=script(tmp_path, f"touch {ran}"))
    with pytest.raises(RefusedInput, match="is not a fail2ban jail name"):
        await firewall.unban(ADDRESS, [SSH, jail])
    assert not ran.exists()


async def test_a_stopped_server(fail2ban_server: Fail2banServer) -> None:
    firewall = Fail2banFirewall(socket=str(fail2ban_server.socket), timeout=10)
    fail2ban_server.stop()
    with pytest.raises(BackendError, match="fail2ban is not running"):
        await firewall.banned_in(ADDRESS)
    with pytest.raises(BackendError, match="fail2ban is not running"):
        await firewall.unban(ADDRESS, [SSH])


async def test_a_crashed_server_that_left_its_socket(fail2ban_server: Fail2banServer) -> None:
    os.killpg(fail2ban_server.process.pid, signal.SIGKILL)
    fail2ban_server.process.wait()
    assert fail2ban_server.socket.exists()
    firewall = Fail2banFirewall(socket=str(fail2ban_server.socket))
    with pytest.raises(BackendError, match=r"not running .*Unable to contact server"):
        await firewall.banned_in(ADDRESS)


async def test_a_missing_socket(tmp_path: Path) -> None:
    if shutil.which("fail2ban-client") is None:
        pytest.skip("fail2ban-client is not installed (Debian package fail2ban)")
    firewall = Fail2banFirewall(socket=str(tmp_path / "nothing.sock"))
    with pytest.raises(BackendError, match=r"not running \(Failed to access socket path"):
        await firewall.banned_in(ADDRESS)


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv"
)
async def test_a_socket_garda_may_not_use(fail2ban_server: Fail2banServer, tmp_path: Path) -> None:
    fail2ban_server.directory.chmod(0o711)  # reachable, but the socket itself is root's only
    nobody = script(
        tmp_path,
        f'exec setpriv --reuid=65534 --regid=65534 --clear-groups {real_client()} "$@"',
    )
    tmp_path.chmod(0o755)
    firewall = Fail2banFirewall(client=nobody, socket=str(fail2ban_server.socket))
    with pytest.raises(BackendError, match="refused Garda: Permission denied to socket"):
        await firewall.banned_in(ADDRESS)


async def test_a_missing_client(tmp_path: Path) -> None:
    firewall = Fail2banFirewall(client=str(tmp_path / "fail2ban-client"))
    with pytest.raises(BackendError, match="fail2ban-client not found"):
        await firewall.banned_in(ADDRESS)


async def test_a_client_that_is_not_executable(tmp_path: Path) -> None:
    client = Path(script(tmp_path, "echo '[[]]'"))
    client.chmod(0o644)
    with pytest.raises(BackendError, match="not executable"):
        await Fail2banFirewall(client=str(client)).banned_in(ADDRESS)


@pytest.mark.timeout(20)
async def test_a_hung_client_is_killed_at_the_timeout(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    hung = script(tmp_path, f"sleep 60 &\necho $$ $! > {pids}\nwait")
    firewall = Fail2banFirewall(client=hung, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(BackendError, match=r"did not answer within 0\.5 s"):
        await firewall.banned_in(ADDRESS)
    assert time.monotonic() - started < 10
    assert not any(alive(int(pid)) for pid in pids.read_text().split())


@pytest.mark.parametrize(
    "output",
    ["hello", "[{'sshd': ['1.2.3.4']}]", "[['sshd'], ['web']]", "[['-x']]", "__import__('os')"],
)
async def test_unexpected_output(tmp_path: Path, output: str) -> None:
    odd = script(tmp_path, f'echo "{output}"')
    with pytest.raises(BackendError, match="unexpected answer from fail2ban-client banned"):
        await Fail2banFirewall(client=odd).banned_in(ADDRESS)


async def test_failures_are_summed_up_not_dumped(tmp_path: Path) -> None:
    noisy = script(
        tmp_path, "i=0; while [ $i -lt 2000 ]; do echo oops $i >&2; i=$((i+1)); done\nexit 3"
    )
    with pytest.raises(BackendError, match="fail2ban-client banned failed: oops 1999") as failed:
        await Fail2banFirewall(client=noisy).banned_in(ADDRESS)
    assert len(str(failed.value)) < 300


async def test_an_unban_answer_that_is_not_a_count(tmp_path: Path) -> None:
    odd = script(tmp_path, "echo 'something else'")
    with pytest.raises(BackendError, match="unexpected answer from fail2ban-client set"):
        await Fail2banFirewall(client=odd).unban(ADDRESS, [SSH])
