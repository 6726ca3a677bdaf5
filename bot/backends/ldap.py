"""The ``ldap`` directory: accounts in OpenLDAP, Active Directory or FreeIPA, through ldap3.

What each flavour sends (the pure ``*_changes`` functions below build the modifications):

- **openldap** — people are ``inetOrgPerson`` entries, the username is ``uid``. A reset
  replaces ``userPassword`` with a client-side ``{SSHA}`` hash and sets ``pwdReset: TRUE``,
  which the ppolicy overlay turns into "change it at the next login" (with ``pwdMustChange``
  in the policy). Without ppolicy on the server ``pwdReset`` is unknown: the reset is retried
  without it and a warning says no change is forced. Locked means ``pwdAccountLockedTime``
  is present; unlocking deletes it, and ppolicy then drops ``pwdFailureTime`` itself (that
  attribute is NO-USER-MODIFICATION, so deleting it ourselves would be refused).
- **ad** — ``(objectCategory=person)(objectClass=user)``, the username is
  ``sAMAccountName``. A reset replaces ``unicodePwd`` (the quoted password in UTF-16-LE) and
  sets ``pwdLastSet: 0`` (must change at next logon); AD only accepts ``unicodePwd`` over an
  encrypted connection, so use ``ldaps://``. Locked comes from the UF_LOCKOUT bit of
  ``msDS-User-Account-Control-Computed`` (``lockoutTime > 0`` if the server does not return
  it); unlocking sets ``lockoutTime: 0``.
- **freeipa** — ``inetOrgPerson`` entries with a ``uid``. A reset replaces ``userPassword``
  with the cleartext (FreeIPA must see it to derive the Kerberos keys, and it marks a password
  set by anyone but the user as expired, which forces the change — unless Garda binds as
  Directory Manager). FreeIPA's lockout is Kerberos's ``krbLoginFailedCount``; Garda does not
  read the policy's ``krbPwdMaxFailure``, so any recorded failure counts as locked, and
  unlocking does what ``ipa user-unlock`` does: ``krbLoginFailedCount: 0`` and
  ``krbLastAdminUnlock: now``. ``nsAccountLock`` (disabled by an admin) is never touched.

ldap3 blocks, so every operation runs in a worker thread on a fresh connection (nothing is
shared between threads), under socket timeouts and one overall ``asyncio.timeout``. When that
fires the thread is abandoned and ends by its own socket timeout; a write it already sent may
still land. Every failure becomes a :class:`BackendError` whose text is scrubbed of passwords.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args
from urllib.parse import urlsplit

from ldap3 import (  # type: ignore[import-untyped]
    BASE,
    HASHED_SALTED_SHA,
    MODIFY_DELETE,
    MODIFY_REPLACE,
    NONE,
    SUBTREE,
    SYNC,
    Connection,
    Server,
    Tls,
)
from ldap3.core.exceptions import LDAPException  # type: ignore[import-untyped]
from ldap3.utils.conv import escape_filter_chars  # type: ignore[import-untyped]
from ldap3.utils.dn import parse_dn  # type: ignore[import-untyped]
from ldap3.utils.hashed import hashed  # type: ignore[import-untyped]

from handlers.backends import Account, BackendError

if TYPE_CHECKING:
    from bot.config import Settings

logger = logging.getLogger(__name__)

Flavour = Literal["openldap", "ad", "freeipa"]
FLAVOURS: tuple[Flavour, ...] = get_args(Flavour)
# ldap3's modify format: attribute -> [(operation, values)]
Changes = dict[str, list[tuple[str, list[str | bytes]]]]
T = TypeVar("T")

_SUCCESS, _SIZE_LIMIT_EXCEEDED, _NO_SUCH_ATTRIBUTE, _UNDEFINED_ATTRIBUTE = 0, 4, 16, 17
_UF_LOCKOUT = 0x10
_MESSAGE_LIMIT = 200


@dataclass(frozen=True)
class Entry:
    """One search result: its DN and its attributes (names lower-cased, values decoded)."""

    dn: str
    attributes: Mapping[str, list[str]]

    def first(self, name: str) -> str:
        """The first value of ``name``, or ``""``."""
        values = self.attributes.get(name.lower(), [])
        return values[0] if values else ""

    def number(self, name: str) -> int:
        """The first value of ``name`` as an integer (0 if absent or not a number)."""
        try:
            return int(self.first(name))
        except ValueError:
            return 0


def search_filter(flavour: Flavour, email: str) -> str:
    """The filter that finds a person by ``email`` (escaped: metacharacters match literally)."""
    mail = f"(mail={escape_filter_chars(email)})"
    if flavour == "ad":
        return f"(&(objectCategory=person)(objectClass=user){mail})"
    if flavour == "freeipa":
        return f"(&(objectClass=inetOrgPerson)(uid=*){mail})"
    return f"(&(objectClass=inetOrgPerson){mail})"


def search_attributes(flavour: Flavour) -> list[str]:
    """The attributes an :class:`Account` is built from (lock state is operational)."""
    if flavour == "ad":
        return [
            "sAMAccountName",
            "mail",
            "cn",
            "displayName",
            "lockoutTime",
            "msDS-User-Account-Control-Computed",
        ]
    lock = "krbLoginFailedCount" if flavour == "freeipa" else "pwdAccountLockedTime"
    return ["uid", "mail", "cn", "displayName", lock]


def is_locked(flavour: Flavour, entry: Entry) -> bool:
    """Whether ``entry`` is locked out, by the flavour's own marker."""
    if flavour == "ad":
        if entry.first("msDS-User-Account-Control-Computed"):
            return bool(entry.number("msDS-User-Account-Control-Computed") & _UF_LOCKOUT)
        return entry.number("lockoutTime") > 0
    if flavour == "freeipa":
        return entry.number("krbLoginFailedCount") > 0
    return bool(entry.first("pwdAccountLockedTime"))


def account_from_entry(flavour: Flavour, entry: Entry, email: str) -> Account:
    """The :class:`Account` for a search result found by ``email``."""
    username = entry.first("sAMAccountName" if flavour == "ad" else "uid")
    if not username:  # an entry named by cn, say: its RDN value still identifies it
        username = str(parse_dn(entry.dn)[0][1])
    mails = entry.attributes.get("mail", [])
    found = next((mail for mail in mails if mail.casefold() == email.casefold()), email)
    return Account(
        username=username,
        email=found,
        display_name=entry.first("displayName") or entry.first("cn"),
        locked=is_locked(flavour, entry),
        ref=entry.dn,
    )


def password_changes(flavour: Flavour, temporary: str, *, force_change: bool = True) -> Changes:
    """The modification that sets ``temporary`` (and, if asked, forces a change at login)."""
    if flavour == "ad":
        quoted = f'"{temporary}"'.encode("utf-16-le")
        changes: Changes = {"unicodePwd": [(MODIFY_REPLACE, [quoted])]}
        if force_change:
            changes["pwdLastSet"] = [(MODIFY_REPLACE, ["0"])]
        return changes
    if flavour == "freeipa":  # FreeIPA hashes, derives Kerberos keys and expires it itself
        return {"userPassword": [(MODIFY_REPLACE, [temporary])]}
    digest = str(hashed(HASHED_SALTED_SHA, temporary)).replace("{ssha}", "{SSHA}", 1)
    changes = {"userPassword": [(MODIFY_REPLACE, [digest])]}
    if force_change:
        changes["pwdReset"] = [(MODIFY_REPLACE, ["TRUE"])]
    return changes


def unlock_changes(flavour: Flavour, entry: Entry, *, now: datetime | None = None) -> Changes:
    """The modification that clears ``entry``'s lockout; empty if it is not locked."""
    if not is_locked(flavour, entry):
        return {}
    if flavour == "ad":
        return {"lockoutTime": [(MODIFY_REPLACE, ["0"])]}
    if flavour == "freeipa":  # exactly what `ipa user-unlock` writes
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%SZ")
        return {
            "krbLoginFailedCount": [(MODIFY_REPLACE, ["0"])],
            "krbLastAdminUnlock": [(MODIFY_REPLACE, [stamp])],
        }
    return {"pwdAccountLockedTime": [(MODIFY_DELETE, [])]}


def server_address(url: str) -> tuple[str, int, bool]:
    """``ldap[s]://host[:port][/...]`` -> (host, port, use TLS); ValueError if it is not one.

    Parsed here because ldap3's own parser rejects a trailing slash and IPv6 brackets."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("ldap", "ldaps") or not parts.hostname:
        raise ValueError(f"{url!r} is not an ldap:// or ldaps:// URL")
    use_tls = scheme == "ldaps"
    return parts.hostname, parts.port or (636 if use_tls else 389), use_tls


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret in it replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class _Session:
    """One bound ldap3 connection used by one thread, with typed, checked operations."""

    def __init__(self, connection: Any, secrets: tuple[str, ...]) -> None:
        self._connection = connection
        self._secrets = secrets

    def refusal(self, what: str) -> BackendError:
        """A :class:`BackendError` from the last result: its name and the server's message."""
        result: Mapping[str, Any] = self._connection.result or {}
        reason = str(result.get("description") or "no answer")
        message = scrub(str(result.get("message") or "").strip(), self._secrets)
        detail = f"{reason}: {message[:_MESSAGE_LIMIT]}" if message else reason
        return BackendError(f"LDAP {what} refused ({detail})")

    def result_code(self) -> int:
        """The LDAP result code of the last operation (-1 if there was none)."""
        result: Mapping[str, Any] = self._connection.result or {}
        code = result.get("result")
        return code if isinstance(code, int) else -1

    def search(self, base: str, query: str, attributes: list[str], *, subtree: bool) -> list[Entry]:
        """Entries under (or at) ``base`` matching ``query``, at most two (enough to see a tie)."""
        self._connection.search(
            base,
            query,
            search_scope=SUBTREE if subtree else BASE,
            attributes=attributes,
            size_limit=2,
        )
        if self.result_code() not in (_SUCCESS, _SIZE_LIMIT_EXCEEDED):
            raise self.refusal("search")
        return [
            Entry(
                dn=str(item["dn"]),
                attributes={
                    str(name).lower(): [bytes(v).decode("utf-8", "replace") for v in values]
                    for name, values in item.get("raw_attributes", {}).items()
                },
            )
            for item in self._connection.response or []
            if item.get("type") == "searchResEntry"  # AD adds referrals (searchResRef)
        ]

    def modify(self, dn: str, changes: Changes) -> int:
        """Apply ``changes`` to ``dn``; the LDAP result code (0 on success)."""
        self._connection.modify(dn, changes)
        return self.result_code()


class LdapDirectory:
    """Accounts in an LDAP directory: find by email, reset to a temporary password, unlock."""

    name = "ldap"

    def __init__(
        self,
        *,
        url: str,
        bind_dn: str,
        bind_password: str,
        base_dn: str,
        flavour: Flavour = "openldap",
        timeout: float = 10.0,
    ) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"LDAP flavour {flavour!r} is not one of {', '.join(FLAVOURS)}")
        self._host, self._port, self._use_tls = server_address(url)
        if not bind_dn or not bind_password:  # ldap3 would fall back to an anonymous bind
            raise ValueError("the LDAP directory needs a bind DN and its password")
        if timeout <= 0:
            raise ValueError("the LDAP timeout must be positive")
        if flavour == "ad" and not self._use_tls:
            logger.warning("Active Directory refuses password resets over %s; use ldaps://", url)
        self.url = url
        self.bind_dn = bind_dn
        self._bind_password = bind_password
        self.base_dn = base_dn
        self.flavour: Flavour = flavour
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> LdapDirectory:
        """The directory the GARDA_LDAP_* settings describe (ValueError names what is missing)."""
        url, bind_dn, base_dn = settings.ldap_url, settings.ldap_bind_dn, settings.ldap_base_dn
        password = settings.ldap_bind_password
        if not (url and bind_dn and password and base_dn):
            named = (
                ("GARDA_LDAP_URL", url),
                ("GARDA_LDAP_BIND_DN", bind_dn),
                ("GARDA_LDAP_BIND_PASSWORD", password),
                ("GARDA_LDAP_BASE_DN", base_dn),
            )
            missing = ", ".join(variable for variable, value in named if not value)
            raise ValueError(f"the ldap directory needs {missing}")
        return cls(
            url=url,
            bind_dn=bind_dn,
            bind_password=password.get_secret_value(),
            base_dn=base_dn,
            flavour=settings.ldap_flavour,
            timeout=settings.backend_timeout,
        )

    async def find_by_email(self, email: str) -> Account | None:
        """The one account whose ``mail`` is ``email`` (several: BackendError, none: None)."""
        email = email.strip()
        if not email:
            return None
        query = search_filter(self.flavour, email)
        attributes = search_attributes(self.flavour)

        def find(session: _Session) -> list[Entry]:
            return session.search(self.base_dn, query, attributes, subtree=True)

        entries = await self._run("search", find)
        if len(entries) > 1:
            raise BackendError("several directory accounts have this email; refusing to choose")
        return account_from_entry(self.flavour, entries[0], email) if entries else None

    async def reset_password(self, account: Account, temporary: str) -> None:
        """Set ``temporary`` as ``account``'s password and force a change where supported."""
        if not account.ref or not temporary:
            raise ValueError("need the account's DN and a non-empty temporary password")

        def reset(session: _Session) -> bool:
            changes = password_changes(self.flavour, temporary)
            code = session.modify(account.ref, changes)
            if code == _UNDEFINED_ATTRIBUTE and "pwdReset" in changes:  # no ppolicy overlay
                code = session.modify(
                    account.ref, password_changes(self.flavour, temporary, force_change=False)
                )
                if code == _SUCCESS:
                    return False
            if code != _SUCCESS:
                raise session.refusal("password reset")
            return True

        forced = await self._run("password reset", reset, temporary)
        if forced:
            logger.info("Reset the password of %s; it must be changed at next login", account.ref)
        else:
            logger.warning(
                "Reset the password of %s, but the server has no ppolicy: "
                "nothing forces a change at next login",
                account.ref,
            )

    async def unlock(self, account: Account) -> bool:
        """Clear ``account``'s lockout; False if it was not locked."""
        if not account.ref:
            raise ValueError("need the account's DN")
        attributes = search_attributes(self.flavour)

        def unlock(session: _Session) -> bool:
            entries = session.search(account.ref, "(objectClass=*)", attributes, subtree=False)
            if not entries:
                raise BackendError("LDAP unlock refused (the account no longer exists)")
            changes = unlock_changes(self.flavour, entries[0])
            if not changes:
                return False
            code = session.modify(account.ref, changes)
            if code == _NO_SUCH_ATTRIBUTE:  # unlocked by someone else since we looked
                return False
            if code != _SUCCESS:
                raise session.refusal("unlock")
            return True

        unlocked = await self._run("unlock", unlock)
        if unlocked:
            logger.info("Unlocked %s", account.ref)
        return unlocked

    async def _run(self, what: str, work: Callable[[_Session], T], *secrets: str) -> T:
        """``work`` on a fresh bound connection in a thread, within the overall timeout."""
        try:
            async with asyncio.timeout(self.timeout):
                return await asyncio.to_thread(self._connected, what, work, secrets)
        except TimeoutError:
            raise BackendError(
                f"LDAP {what}: the directory did not answer within {self.timeout:g} s"
            ) from None

    def _connected(self, what: str, work: Callable[[_Session], T], secrets: tuple[str, ...]) -> T:
        """Open, bind, run ``work``, unbind — in the calling (worker) thread."""
        secrets = (self._bind_password, *secrets)
        server = Server(
            self._host,
            port=self._port,
            use_ssl=self._use_tls,
            connect_timeout=self.timeout,
            get_info=NONE,
            tls=Tls(validate=ssl.CERT_REQUIRED),  # for ldaps://: verify the server's certificate
        )
        connection = Connection(
            server,
            user=self.bind_dn,
            password=self._bind_password,
            client_strategy=SYNC,
            raise_exceptions=False,
            # ldap3 packs this into an SO_RCVTIMEO struct, which takes whole seconds only
            receive_timeout=max(1, math.ceil(self.timeout)),
            auto_referrals=False,
            read_only=False,
        )
        session = _Session(connection, secrets)
        try:
            if not connection.bind():
                raise session.refusal("bind")
            return work(session)
        except BackendError:
            raise
        except Exception as exc:  # noqa: BLE001
            # Broad on purpose: besides LDAPException and OSError, ldap3 raises plain KeyError,
            # struct.error, ... on a malformed answer, and every failure must be a
            # BackendError. From None: the chained exception would carry unscrubbed text.
            if isinstance(exc, LDAPException | OSError) and str(exc):
                reason = scrub(str(exc), secrets)[:_MESSAGE_LIMIT]
            else:
                reason = f"unreadable answer from the server ({type(exc).__name__})"
            raise BackendError(f"LDAP {what} failed: {reason}") from None
        finally:
            with contextlib.suppress(LDAPException, OSError):  # the socket may be gone already
                connection.unbind()
