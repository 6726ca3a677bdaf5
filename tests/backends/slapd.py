"""A real OpenLDAP ``slapd`` for tests: its own temp dir and free port, seeded with people.

Use the ``slapd`` fixture (import ``slapd_fixture`` into a test module, or list this module in
``pytest_plugins`` of the root conftest), or ``running_slapd(directory, ...)`` for a server
with other options. Skips, with the reason, where slapd or its modules are not installed.

The tree (``dc=example,dc=com``)::

    cn=admin                  rootdn, ADMIN_PASSWORD (bypasses every ACL)
    ou=services
      cn=garda                SERVICE_PASSWORD: reads everything, writes ou=people
      cn=reader               READER_PASSWORD: reads, writes nothing
    ou=people                 PEOPLE: inetOrgPerson with uid, cn, sn, mail, userPassword
    ou=policies
      cn=default              ppolicy default: pwdLockout, pwdMaxFailure MAX_FAILURE,
                              pwdMustChange (only with ppolicy=True)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from ldap3 import BASE, HASHED_SALTED_SHA, NONE, Connection, Server
from ldap3.core.exceptions import LDAPCommunicationError
from ldap3.utils.hashed import hashed

BASE_DN = "dc=example,dc=com"
ADMIN_DN = f"cn=admin,{BASE_DN}"
ADMIN_PASSWORD = "admin-secret"
SERVICE_DN = f"cn=garda,ou=services,{BASE_DN}"
SERVICE_PASSWORD = "garda-service-secret"
READER_DN = f"cn=reader,ou=services,{BASE_DN}"
READER_PASSWORD = "reader-secret"
PEOPLE_DN = f"ou=people,{BASE_DN}"
POLICY_DN = f"cn=default,ou=policies,{BASE_DN}"
MAX_FAILURE = 3
STARTUP_TIMEOUT = 10.0
MODULE_DIRS = ("/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap", "/usr/libexec/openldap")
SCHEMA_DIRS = ("/etc/ldap/schema", "/etc/openldap/schema")


@dataclass(frozen=True)
class Person:
    """A seeded inetOrgPerson."""

    uid: str
    cn: str
    mail: str
    password: str

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{PEOPLE_DN}"


ALICE = Person("alice", "Alice Liddell", "Alice@Example.com", "alice-Pass-1")
BOB = Person("bob", "Bob Builder", "bob@example.com", "bob-Pass-1")
# three accounts sharing one address: finding by it must refuse to choose (three, so that a
# search limited to two entries also meets sizeLimitExceeded)
DUP_ONE = Person("dup1", "Dup One", "shared@example.com", "dup-Pass-1")
DUP_TWO = Person("dup2", "Dup Two", "shared@example.com", "dup-Pass-2")
DUP_THREE = Person("dup3", "Dup Three", "Shared@Example.com", "dup-Pass-3")
# filter metacharacters in a real address: found only by exactly this value
ODD = Person("odd", "Odd Address", "o*(dd)@example.com", "odd-Pass-1")
PEOPLE = (ALICE, BOB, DUP_ONE, DUP_TWO, DUP_THREE, ODD)


@dataclass
class Slapd:
    """A running slapd and helpers to look at it as the admin or bind as someone."""

    url: str
    port: int
    directory: Path
    process: subprocess.Popen[bytes]
    ppolicy: bool
    base_dn: str = BASE_DN
    admin_dn: str = ADMIN_DN
    admin_password: str = ADMIN_PASSWORD
    service_dn: str = SERVICE_DN
    service_password: str = SERVICE_PASSWORD

    def connect(self, dn: str = ADMIN_DN, password: str = ADMIN_PASSWORD) -> Connection:
        """A bound SYNC connection (raises if the bind fails); unbind it when done."""
        server = Server(self.url, get_info=NONE, connect_timeout=5)
        return Connection(server, dn, password, auto_bind=True, receive_timeout=5)

    def can_bind(self, dn: str, password: str) -> bool:
        """Whether a simple bind as ``dn`` with ``password`` succeeds (it counts as a try)."""
        connection = Connection(
            Server(self.url, get_info=NONE, connect_timeout=5), dn, password, receive_timeout=5
        )
        try:
            return bool(connection.bind())
        finally:
            connection.unbind()

    def read(self, dn: str, *attributes: str) -> dict[str, list[str]]:
        """``attributes`` of ``dn`` read as the admin (operational ones included if named)."""
        connection = self.connect()
        try:
            connection.search(dn, "(objectClass=*)", BASE, attributes=list(attributes) or ["*"])
            entry = connection.response[0]
            return {
                name.lower(): [bytes(v).decode() for v in values]
                for name, values in entry["raw_attributes"].items()
            }
        finally:
            connection.unbind()

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections but nothing answers."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop slapd (idempotent) and reap it."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGCONT)  # a paused slapd would not act on SIGTERM
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _find_installation(ppolicy: bool) -> tuple[str, str, str | None]:
    """slapd's path, the schema dir and the module dir, or a skip saying what is missing."""
    binary = shutil.which("slapd") or next(
        (p for p in ("/usr/sbin/slapd", "/usr/libexec/slapd") if os.access(p, os.X_OK)), None
    )
    if binary is None:
        pytest.skip("slapd is not installed (Debian: apt-get install slapd ldap-utils)")
    schemas = next((d for d in SCHEMA_DIRS if Path(d, "inetorgperson.schema").exists()), None)
    if schemas is None:
        pytest.skip(f"no OpenLDAP schema directory with inetorgperson.schema in {SCHEMA_DIRS}")
    modules = next((d for d in MODULE_DIRS if list(Path(d).glob("back_mdb*"))), None)
    if ppolicy and not (modules and list(Path(modules).glob("ppolicy*"))):
        pytest.skip(f"the slapd ppolicy overlay module is not installed in {MODULE_DIRS}")
    return binary, schemas, modules


def _config(directory: Path, schemas: str, modules: str | None, ppolicy: bool) -> str:
    """A slapd.conf: mdb under BASE_DN, ACLs for the service accounts, maybe ppolicy."""
    schema_lines = "\n".join(
        f"include {schemas}/{name}.schema" for name in ("core", "cosine", "inetorgperson", "nis")
    )
    module_lines = ""
    if modules:
        module_lines = f"modulepath {modules}\nmoduleload back_mdb\n"
        if ppolicy:
            module_lines += "moduleload ppolicy\n"
    overlay = f'overlay ppolicy\nppolicy_default "{POLICY_DN}"\n' if ppolicy else ""
    root_hash = hashed(HASHED_SALTED_SHA, ADMIN_PASSWORD)
    return f"""{schema_lines}
{module_lines}pidfile "{directory}/slapd.pid"
argsfile "{directory}/slapd.args"

database mdb
suffix "{BASE_DN}"
rootdn "{ADMIN_DN}"
rootpw {root_hash}
directory "{directory}/data"
maxsize 16777216
dbnosync
{overlay}
access to dn.subtree="{PEOPLE_DN}" attrs=userPassword
  by dn.exact="{SERVICE_DN}" write
  by self write
  by anonymous auth
  by * none
access to dn.subtree="{PEOPLE_DN}"
  by dn.exact="{SERVICE_DN}" write
  by self read
  by users read
  by anonymous auth
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by users read
  by anonymous auth
"""


def _seed(server: Slapd, people: tuple[Person, ...], ppolicy: bool) -> None:
    """Add the tree described in the module docstring."""
    entries: list[tuple[str, list[str], dict[str, object]]] = [
        (BASE_DN, ["dcObject", "organization"], {"dc": "example", "o": "Example"}),
        (f"ou=services,{BASE_DN}", ["organizationalUnit"], {"ou": "services"}),
        (PEOPLE_DN, ["organizationalUnit"], {"ou": "people"}),
    ]
    for dn, password in ((SERVICE_DN, SERVICE_PASSWORD), (READER_DN, READER_PASSWORD)):
        entries.append(
            (
                dn,
                ["applicationProcess", "simpleSecurityObject"],
                {"userPassword": hashed(HASHED_SALTED_SHA, password)},
            )
        )
    if ppolicy:
        entries.append((f"ou=policies,{BASE_DN}", ["organizationalUnit"], {"ou": "policies"}))
        policy: dict[str, object] = {
            "pwdAttribute": "userPassword",
            "pwdLockout": "TRUE",
            "pwdMaxFailure": str(MAX_FAILURE),
            "pwdMustChange": "TRUE",
        }
        entries.append((POLICY_DN, ["device", "pwdPolicy"], policy))
    for person in people:
        attributes: dict[str, object] = {
            "uid": person.uid,
            "cn": person.cn,
            "sn": person.cn.split()[-1],
            "mail": person.mail,
            "userPassword": hashed(HASHED_SALTED_SHA, person.password),
        }
        entries.append((person.dn, ["inetOrgPerson"], attributes))
    connection = server.connect()
    try:
        for dn, classes, values in entries:
            if not connection.add(dn, classes, values):
                raise RuntimeError(f"seeding {dn} failed: {connection.result}")
    finally:
        connection.unbind()


def _answers(server: Slapd) -> bool:
    """Poll with an admin bind until slapd answers: True, or False if it exited first."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while server.process.poll() is None:
        try:
            server.connect().unbind()
            return True
        # Not listening yet. While nothing listens, a connection to a port in the ephemeral
        # range can meet itself (TCP self-connect) and read back its own bind request, which
        # ldap3 fails to parse with a KeyError: that too only means "try again".
        except (LDAPCommunicationError, KeyError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"slapd did not answer in {STARTUP_TIMEOUT:g} s") from None
            time.sleep(0.02)
    return False


def _start(binary: str, directory: Path, ppolicy: bool) -> Slapd:
    """slapd answering on a free port (another port if one was taken in the meantime)."""
    config, log = directory / "slapd.conf", directory / "slapd.log"
    for _ in range(3):
        port = free_port()
        url = f"ldap://127.0.0.1:{port}"
        with log.open("wb") as output:
            # -d: stay in the foreground, so this Popen is slapd itself and we can stop it;
            # "none" still logs start-up errors (a bad config line, a port in use) to the log
            process = subprocess.Popen(
                [binary, "-f", str(config), "-h", f"{url}/", "-d", "none"],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        server = Slapd(url=url, port=port, directory=directory, process=process, ppolicy=ppolicy)
        try:
            if _answers(server):
                return server
        except BaseException:
            server.stop()
            raise
    raise RuntimeError(f"slapd exited with {process.returncode}:\n{log.read_text()}")


@contextmanager
def running_slapd(
    directory: Path, *, ppolicy: bool = True, people: tuple[Person, ...] = PEOPLE
) -> Iterator[Slapd]:
    """Start a seeded slapd in ``directory``; stop it on exit, whatever happened."""
    binary, schemas, modules = _find_installation(ppolicy)
    (directory / "data").mkdir(parents=True)
    (directory / "slapd.conf").write_text(_config(directory, schemas, modules, ppolicy))
    server = _start(binary, directory, ppolicy)
    try:
        _seed(server, people, ppolicy)
        yield server
    finally:
        server.stop()


@pytest.fixture(name="slapd")
def slapd_fixture(tmp_path: Path) -> Iterator[Slapd]:
    """A fresh seeded slapd with the ppolicy overlay, for one test."""
    with running_slapd(tmp_path / "slapd") as server:
        yield server
