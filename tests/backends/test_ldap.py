"""The ldap directory against a real slapd (OpenLDAP + ppolicy); AD and FreeIPA writes as data.

There is no Active Directory or FreeIPA here: for those the modifications Garda would send
are checked as values (the pure ``*_changes`` functions), and the FreeIPA search and reset,
which are plain inetOrgPerson operations, also run against slapd.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ldap3 import MODIFY_DELETE, MODIFY_REPLACE

from bot.backends.ldap import (
    Entry,
    Flavour,
    LdapDirectory,
    account_from_entry,
    is_locked,
    password_changes,
    search_attributes,
    search_filter,
    server_address,
    unlock_changes,
)
from bot.config import Settings
from handlers.backends import Account, BackendError
from tests.backends.slapd import (
    ALICE,
    BOB,
    DUP_ONE,
    MAX_FAILURE,
    ODD,
    READER_DN,
    READER_PASSWORD,
    SERVICE_DN,
    SERVICE_PASSWORD,
    Slapd,
    free_port,
    running_slapd,
    slapd_fixture,  # noqa: F401  (the ``slapd`` fixture)
)

TEMPORARY = "Tmp-7f3Kq9-Wx2"


def directory_for(
    server: Slapd,
    *,
    bind_dn: str = SERVICE_DN,
    password: str = SERVICE_PASSWORD,
    flavour: Flavour = "openldap",
    timeout: float = 5.0,
) -> LdapDirectory:
    return LdapDirectory(
        url=server.url,
        bind_dn=bind_dn,
        bind_password=password,
        base_dn=server.base_dn,
        flavour=flavour,
        timeout=timeout,
    )


@pytest.fixture
async def directory(slapd: Slapd) -> AsyncIterator[LdapDirectory]:
    """Garda's view of the seeded slapd, bound as its least-privileged service account."""
    yield directory_for(slapd)


# --- finding people ---------------------------------------------------------------------


async def test_finds_a_person_by_email(directory: LdapDirectory) -> None:
    account = await directory.find_by_email("bob@example.com")
    assert account == Account(
        username="bob", email=BOB.mail, display_name=BOB.cn, locked=False, ref=BOB.dn
    )


async def test_the_email_matches_whatever_its_case(directory: LdapDirectory) -> None:
    account = await directory.find_by_email("aLiCe@EXAMPLE.com")
    assert account is not None
    assert (account.username, account.email, account.ref) == ("alice", ALICE.mail, ALICE.dn)


async def test_an_unknown_email_finds_nobody(directory: LdapDirectory) -> None:
    assert await directory.find_by_email("nobody@example.com") is None
    assert await directory.find_by_email("   ") is None


async def test_an_email_two_accounts_share_is_refused(directory: LdapDirectory) -> None:
    with pytest.raises(BackendError, match="several"):
        await directory.find_by_email(DUP_ONE.mail)


async def test_filter_metacharacters_match_only_literally(directory: LdapDirectory) -> None:
    assert await directory.find_by_email("*)(uid=*") is None
    assert await directory.find_by_email("*") is None  # unescaped, it would match everyone
    assert await directory.find_by_email("o*") is None  # unescaped, a substring match on ODD
    odd = await directory.find_by_email(ODD.mail)
    assert odd is not None and odd.username == "odd"
    assert await directory.find_by_email("bob@example.com") is not None  # nothing broke


# --- resetting passwords ----------------------------------------------------------------


async def test_reset_sets_the_temporary_password_and_forces_a_change(
    directory: LdapDirectory, slapd: Slapd
) -> None:
    alice = await directory.find_by_email(ALICE.mail)
    assert alice is not None
    await directory.reset_password(alice, TEMPORARY)

    assert slapd.can_bind(ALICE.dn, TEMPORARY)
    assert not slapd.can_bind(ALICE.dn, ALICE.password)
    assert slapd.read(ALICE.dn, "pwdReset") == {"pwdreset": ["TRUE"]}
    # ppolicy now lets Alice do nothing but change her password
    connection = slapd.connect(ALICE.dn, TEMPORARY)
    try:
        assert not connection.search(slapd.base_dn, "(uid=bob)")
        assert connection.result["description"] == "insufficientAccessRights"
        assert "restricted" in connection.result["message"]
    finally:
        connection.unbind()


async def test_without_ppolicy_the_reset_still_works_and_says_nothing_forces_a_change(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with running_slapd(tmp_path / "plain", ppolicy=False) as server:
        directory = directory_for(server)
        bob = await directory.find_by_email(BOB.mail)
        assert bob is not None
        with caplog.at_level(logging.WARNING, logger="bot.backends.ldap"):
            await directory.reset_password(bob, TEMPORARY)
        assert server.can_bind(BOB.dn, TEMPORARY)
    assert "nothing forces a change" in caplog.text


async def test_a_reset_without_write_access_is_a_backend_error(slapd: Slapd) -> None:
    reader = directory_for(slapd, bind_dn=READER_DN, password=READER_PASSWORD)
    bob = await reader.find_by_email(BOB.mail)
    assert bob is not None
    with pytest.raises(BackendError, match="insufficientAccessRights") as refused:
        await reader.reset_password(bob, TEMPORARY)
    assert TEMPORARY not in str(refused.value) and READER_PASSWORD not in str(refused.value)
    assert slapd.can_bind(BOB.dn, BOB.password)


async def test_the_temporary_password_is_never_logged(
    directory: LdapDirectory, slapd: Slapd, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, ldap3's included
    alice = await directory.find_by_email(ALICE.mail)
    assert alice is not None
    await directory.reset_password(alice, TEMPORARY)
    reader = directory_for(slapd, bind_dn=READER_DN, password=READER_PASSWORD)
    with pytest.raises(BackendError):
        await reader.reset_password(alice, TEMPORARY)

    assert any("Reset the password" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        logged = record.getMessage() + str(record.exc_info or "")
        assert TEMPORARY not in logged
        assert SERVICE_PASSWORD not in logged and READER_PASSWORD not in logged


# --- lockout ----------------------------------------------------------------------------


async def test_a_real_lockout_is_seen_and_cleared(directory: LdapDirectory, slapd: Slapd) -> None:
    for _ in range(MAX_FAILURE):
        assert not slapd.can_bind(ALICE.dn, "a wrong guess")
    assert slapd.read(ALICE.dn, "pwdAccountLockedTime")["pwdaccountlockedtime"]
    assert not slapd.can_bind(ALICE.dn, ALICE.password)  # locked: even the right one fails

    alice = await directory.find_by_email(ALICE.mail)
    assert alice is not None and alice.locked
    assert await directory.unlock(alice) is True

    assert slapd.read(ALICE.dn, "pwdAccountLockedTime", "pwdFailureTime") == {
        "pwdaccountlockedtime": [],
        "pwdfailuretime": [],  # ppolicy drops the failures with the lock
    }
    assert slapd.can_bind(ALICE.dn, ALICE.password)
    assert await directory.unlock(alice) is False
    unlocked = await directory.find_by_email(ALICE.mail)
    assert unlocked is not None and not unlocked.locked


async def test_unlocking_an_account_that_is_not_locked_says_so(directory: LdapDirectory) -> None:
    bob = await directory.find_by_email(BOB.mail)
    assert bob is not None and not bob.locked
    assert await directory.unlock(bob) is False


# --- failures the user is told about ----------------------------------------------------


async def test_a_server_that_is_down_is_a_backend_error(slapd: Slapd) -> None:
    down = LdapDirectory(
        url=f"ldap://127.0.0.1:{free_port()}",
        bind_dn=SERVICE_DN,
        bind_password=SERVICE_PASSWORD,
        base_dn=slapd.base_dn,
        timeout=2.0,
    )
    async with asyncio.timeout(5):
        with pytest.raises(BackendError, match="failed") as failed:
            await down.find_by_email(ALICE.mail)
    assert SERVICE_PASSWORD not in str(failed.value)


async def test_a_refused_bind_is_a_backend_error_without_the_password(slapd: Slapd) -> None:
    wrong = directory_for(slapd, password="not-the-Service-password-42")
    with pytest.raises(BackendError, match="invalidCredentials") as refused:
        await wrong.find_by_email(ALICE.mail)
    assert "not-the-Service-password-42" not in str(refused.value)


async def test_a_server_that_never_answers_times_out(slapd: Slapd) -> None:
    stuck = directory_for(slapd, timeout=0.5)
    slapd.pause()  # the kernel still accepts the connection; nothing answers it
    try:
        async with asyncio.timeout(5):
            with pytest.raises(BackendError, match=r"did not answer within 0\.5 s"):
                await stuck.find_by_email(ALICE.mail)
    finally:
        slapd.resume()
    assert await directory_for(slapd).find_by_email(ALICE.mail) is not None


async def test_a_server_that_is_not_ldap_is_a_backend_error() -> None:
    async def answer_like_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer_like_http, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        web = LdapDirectory(
            url=f"ldap://127.0.0.1:{port}",
            bind_dn=SERVICE_DN,
            bind_password=SERVICE_PASSWORD,
            base_dn="dc=example,dc=com",
            timeout=2.0,
        )
        async with asyncio.timeout(5):
            with pytest.raises(BackendError, match="failed") as failed:
                await web.find_by_email(ALICE.mail)
    assert SERVICE_PASSWORD not in str(failed.value)


# --- FreeIPA's inetOrgPerson operations, on slapd ---------------------------------------


async def test_freeipa_flavour_finds_and_resets_with_a_cleartext_password(slapd: Slapd) -> None:
    ipa = directory_for(slapd, flavour="freeipa")
    bob = await ipa.find_by_email(BOB.mail)
    assert bob is not None and (bob.username, bob.locked) == ("bob", False)
    await ipa.reset_password(bob, TEMPORARY)  # FreeIPA must see it to derive Kerberos keys
    assert slapd.can_bind(BOB.dn, TEMPORARY)
    assert await ipa.unlock(bob) is False  # no krbLoginFailedCount here


# --- settings ---------------------------------------------------------------------------


def test_built_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARDA_LDAP_URL", "ldaps://dc1.corp.example:3269/")
    monkeypatch.setenv("GARDA_LDAP_BIND_DN", "CN=garda,OU=Services,DC=corp,DC=example")
    monkeypatch.setenv("GARDA_LDAP_BIND_PASSWORD", "s3rvice")
    monkeypatch.setenv("GARDA_LDAP_BASE_DN", "DC=corp,DC=example")
    monkeypatch.setenv("GARDA_LDAP_FLAVOUR", "ad")
    monkeypatch.setenv("GARDA_BACKEND_TIMEOUT", "3")
    directory = LdapDirectory.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    assert (directory.name, directory.flavour, directory.timeout) == ("ldap", "ad", 3.0)
    assert directory.base_dn == "DC=corp,DC=example"
    assert "s3rvice" not in repr(directory)


def test_missing_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("URL", "BIND_DN", "BIND_PASSWORD", "BASE_DN"):
        monkeypatch.delenv(f"GARDA_LDAP_{name}", raising=False)
    monkeypatch.setenv("GARDA_LDAP_URL", "ldap://ldap.example")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="GARDA_LDAP_BIND_DN") as missing:
        LdapDirectory.from_settings(settings)
    assert "GARDA_LDAP_BIND_PASSWORD, GARDA_LDAP_BASE_DN" in str(missing.value)
    assert "GARDA_LDAP_URL" not in str(missing.value)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("ldap://127.0.0.1:3890/", ("127.0.0.1", 3890, False)),
        ("ldaps://dc1.corp.example", ("dc1.corp.example", 636, True)),
        ("LDAP://ldap.example/dc=example,dc=com", ("ldap.example", 389, False)),
        ("ldaps://[::1]:6360", ("::1", 6360, True)),
    ],
)
def test_urls_are_parsed_before_ldap3_sees_them(url: str, address: tuple[str, int, bool]) -> None:
    assert server_address(url) == address


@pytest.mark.parametrize("url", ["http://ldap.example", "ldap://", "ldap.example:389"])
def test_what_is_not_an_ldap_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        LdapDirectory(url=url, bind_dn="cn=x", bind_password="p", base_dn="dc=x")


def test_a_missing_bind_password_is_refused() -> None:
    with pytest.raises(ValueError, match="bind DN and its password"):
        LdapDirectory(url="ldap://x", bind_dn="cn=x", bind_password="", base_dn="dc=x")


def test_an_unknown_flavour_is_refused() -> None:
    with pytest.raises(ValueError, match="flavour"):
        LdapDirectory(
            url="ldap://x",
            bind_dn="cn=x",
            bind_password="p",
            base_dn="dc=x",
            flavour="novell",  # type: ignore[arg-type]
        )


# --- what Garda would send to Active Directory and FreeIPA (no such server here) ---------


def ad_entry(**attributes: str) -> Entry:
    values = {name.lower(): [value] for name, value in attributes.items()}
    return Entry(dn="CN=Ana Lima,OU=Staff,DC=corp,DC=example", attributes=values)


def test_ad_searches_people_by_mail_and_reads_the_lockout() -> None:
    assert search_filter("ad", "ana@corp.example") == (
        "(&(objectCategory=person)(objectClass=user)(mail=ana@corp.example))"
    )
    assert search_filter("ad", "*)(cn=*") == (
        "(&(objectCategory=person)(objectClass=user)(mail=\\2a\\29\\28cn=\\2a))"
    )
    assert {"sAMAccountName", "lockoutTime", "msDS-User-Account-Control-Computed"} <= set(
        search_attributes("ad")
    )


def test_an_ad_entry_becomes_an_account_named_by_sam_account_name() -> None:
    entry = ad_entry(
        sAMAccountName="alima",
        mail="Ana.Lima@corp.example",
        cn="Ana Lima",
        displayName="Ana Lima (Finance)",
        lockoutTime="133497312000000000",
    )
    account = account_from_entry("ad", entry, "ana.lima@corp.example")
    assert account == Account(
        username="alima",
        email="Ana.Lima@corp.example",
        display_name="Ana Lima (Finance)",
        locked=True,
        ref="CN=Ana Lima,OU=Staff,DC=corp,DC=example",
    )


def test_ad_lock_state_prefers_the_computed_flag() -> None:
    expired = ad_entry(
        lockoutTime="133497312000000000", **{"msDS-User-Account-Control-Computed": "0"}
    )
    assert not is_locked("ad", expired)  # lockout duration over; lockoutTime not yet reset
    assert is_locked("ad", ad_entry(**{"msDS-User-Account-Control-Computed": "16"}))
    assert is_locked("ad", ad_entry(lockoutTime="1"))
    assert not is_locked("ad", ad_entry(lockoutTime="0"))
    assert not is_locked("ad", ad_entry())


def test_an_ad_reset_sends_unicode_pwd_and_pwd_last_set_zero() -> None:
    assert password_changes("ad", "Tmp-Pässword-1") == {
        "unicodePwd": [(MODIFY_REPLACE, ['"Tmp-Pässword-1"'.encode("utf-16-le")])],
        "pwdLastSet": [(MODIFY_REPLACE, ["0"])],
    }


def test_an_ad_unlock_sets_lockout_time_to_zero_only_when_locked() -> None:
    assert unlock_changes("ad", ad_entry(lockoutTime="133497312000000000")) == {
        "lockoutTime": [(MODIFY_REPLACE, ["0"])]
    }
    assert unlock_changes("ad", ad_entry(lockoutTime="0")) == {}


def test_freeipa_unlock_does_what_ipa_user_unlock_does() -> None:
    entry = Entry(dn="uid=ana,cn=users,cn=accounts,dc=ipa,dc=example", attributes={})
    assert not is_locked("freeipa", entry) and unlock_changes("freeipa", entry) == {}
    failed = Entry(dn=entry.dn, attributes={"krbloginfailedcount": ["6"]})
    assert is_locked("freeipa", failed)
    now = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert unlock_changes("freeipa", failed, now=now) == {
        "krbLoginFailedCount": [(MODIFY_REPLACE, ["0"])],
        "krbLastAdminUnlock": [(MODIFY_REPLACE, ["20250304050607Z"])],
    }
    assert password_changes("freeipa", "Tmp-1") == {"userPassword": [(MODIFY_REPLACE, ["Tmp-1"])]}


def test_openldap_changes_hash_the_password_and_delete_only_the_lock() -> None:
    changes = password_changes("openldap", TEMPORARY)
    assert changes["pwdReset"] == [(MODIFY_REPLACE, ["TRUE"])]
    [(operation, [stored])] = changes["userPassword"]
    assert operation == MODIFY_REPLACE and isinstance(stored, str)
    assert stored.startswith("{SSHA}") and TEMPORARY not in stored
    raw = base64.b64decode(stored.removeprefix("{SSHA}"))
    digest, salt = raw[:20], raw[20:]
    assert hashlib.sha1(TEMPORARY.encode() + salt).digest() == digest
    locked = Entry(dn=ALICE.dn, attributes={"pwdaccountlockedtime": ["20250304050607Z"]})
    assert unlock_changes("openldap", locked) == {"pwdAccountLockedTime": [(MODIFY_DELETE, [])]}
