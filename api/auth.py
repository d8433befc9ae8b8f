"""Who is calling and what they may do: bearer tokens, roles, permissions and PII masking.

`ROLE_PERMISSIONS` is the one table of who may do what; every check in the API goes
through `Principal.can` / `Principal.require`, so a role change is a change to that
table and nothing else. Tokens are JWTs: HS256 with a shared secret for the embedded
default, RS256/ES256 keys from a JWKS URL in production. Masking is a set of pure
functions so the 360 view can call them per field without I/O.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

import jwt
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

if TYPE_CHECKING:
    from c360.settings import Settings

__all__ = [
    "PII_FIELDS",
    "PII_SCOPE",
    "ROLE_PERMISSIONS",
    "AuthError",
    "AuthErrorCode",
    "Permission",
    "Principal",
    "Role",
    "TokenVerifier",
    "mask_fields",
    "mask_value",
    "mint_token",
    "pii_fields_in",
]


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    STEWARD = "steward"
    ANALYST = "analyst"
    INTEGRATOR = "integrator"
    ADMIN = "admin"


class Permission(StrEnum):
    READ_CUSTOMERS = "read_customers"
    READ_ALL_CUSTOMERS = "read_all_customers"  # not limited to a territory
    EDIT_CUSTOMERS = "edit_customers"
    RECORD_INTERACTIONS = "record_interactions"
    REVIEW = "review"  # verdicts, merge, split, undo
    READ_DECISIONS = "read_decisions"
    MANAGE_ALERT_RULES = "manage_alert_rules"
    READ_ALERTS = "read_alerts"
    SUBSCRIBE = "subscribe"
    MANAGE_WEBHOOKS = "manage_webhooks"
    RUN_CYPHER = "run_cypher"  # read-only Cypher


P = Permission
_REP = frozenset(
    {P.READ_CUSTOMERS, P.EDIT_CUSTOMERS, P.RECORD_INTERACTIONS, P.READ_ALERTS, P.SUBSCRIBE}
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.REP: _REP,
    Role.MANAGER: _REP | {P.READ_ALL_CUSTOMERS, P.MANAGE_ALERT_RULES, P.READ_DECISIONS},
    Role.STEWARD: frozenset(
        {P.READ_CUSTOMERS, P.READ_ALL_CUSTOMERS, P.REVIEW, P.READ_DECISIONS, P.READ_ALERTS}
    ),
    Role.ANALYST: frozenset(
        {P.READ_CUSTOMERS, P.READ_ALL_CUSTOMERS, P.READ_DECISIONS, P.READ_ALERTS, P.RUN_CYPHER}
    ),
    Role.INTEGRATOR: frozenset(
        {P.READ_CUSTOMERS, P.READ_ALL_CUSTOMERS, P.SUBSCRIBE, P.MANAGE_WEBHOOKS, P.READ_ALERTS}
    ),
    Role.ADMIN: frozenset(Permission),
}
"""The one place that says who may do what."""

PII_SCOPE = "pii"
"""The token scope that lets a principal see personal data unmasked."""

AuthErrorCode = Literal["UNAUTHENTICATED", "TOKEN_EXPIRED", "FORBIDDEN"]


class AuthError(Exception):
    """A refused request; `code` is what the API puts in its error extensions."""

    def __init__(self, code: AuthErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: AuthErrorCode = code
        self.message = message

    @property
    def http_status(self) -> int:
        """401 for who-are-you failures (the client should get a new token), 403 otherwise."""
        return 403 if self.code == "FORBIDDEN" else 401


@dataclass(frozen=True)
class Principal:
    """The verified caller. Permissions are the union over its roles."""

    sub: str
    roles: frozenset[Role]
    scopes: frozenset[str] = frozenset()
    territory: tuple[str, ...] = ()  # parish names a rep covers
    expires_at: datetime | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        return frozenset().union(*(ROLE_PERMISSIONS[r] for r in self.roles))

    def can(self, permission: Permission) -> bool:
        return any(permission in ROLE_PERMISSIONS[r] for r in self.roles)

    def require(self, permission: Permission) -> None:
        """Raise FORBIDDEN naming what was missing, so a refused client knows what to ask for."""
        if not self.can(permission):
            roles = ", ".join(sorted(self.roles)) or "none"
            raise AuthError(
                "FORBIDDEN",
                f"permission '{permission}' is required; {self.sub}'s roles ({roles}) "
                "do not grant it",
            )

    @property
    def sees_pii(self) -> bool:
        return PII_SCOPE in self.scopes

    @property
    def sees_all_customers(self) -> bool:
        return self.can(Permission.READ_ALL_CUSTOMERS)

    def may_see(self, customer: Mapping[str, Any]) -> bool:
        """A rep sees the customers they own or in their parishes; read-all roles see every one."""
        if not self.can(Permission.READ_CUSTOMERS):
            return False
        if self.sees_all_customers:
            return True
        if customer.get("owner") == self.sub:
            return True
        parish = customer.get("parish")
        return parish is not None and parish in self.territory


# --- tokens ---------------------------------------------------------------------------

HS_ALGORITHMS = ["HS256"]
JWKS_ALGORITHMS = ["RS256", "ES256"]
VERIFIED_TOKENS = 10_000  # verified tokens a verifier remembers (a few MB at most)
VERIFIED_FOR_S = 300  # also the lifespan of the JWKS key-set cache
MIN_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash


def _check_secret(secret: str) -> None:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"the HS256 secret must be at least {MIN_SECRET_BYTES} bytes")


def _parse_roles(value: Any) -> frozenset[Role]:
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise AuthError("UNAUTHENTICATED", "invalid token: 'roles' must be a list of strings")
    known = {r.value for r in Role}
    unknown = sorted({r for r in value if r not in known})
    if unknown:
        raise AuthError(
            "UNAUTHENTICATED",
            f"invalid token: unknown role(s) {', '.join(unknown)}; "
            f"known roles: {', '.join(r.value for r in Role)}",
        )
    if not value:
        raise AuthError("UNAUTHENTICATED", "invalid token: 'roles' is empty")
    return frozenset(Role(r) for r in value)


def _parse_scopes(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):  # OAuth style: "pii webhooks"
        return frozenset(value.split())
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return frozenset(value)
    raise AuthError("UNAUTHENTICATED", "invalid token: 'scope' must be a space-separated string")


def _parse_territory(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(p, str) for p in value):
        return tuple(value)
    raise AuthError("UNAUTHENTICATED", "invalid token: 'territory' must be a list of parishes")


class TokenVerifier:
    """Turns a bearer token into a `Principal`, or refuses it with a reason.

    With `jwks_url`, keys come from the identity provider through `jwt.PyJWKClient`,
    which caches the key set; its fetch is blocking, so an async server should call
    `verify` in a thread or accept one blocking fetch per cache lifespan.
    """

    def __init__(
        self,
        *,
        secret: str | None = None,
        jwks_url: str | None = None,
        audience: str = "c360",
        issuer: str | None = None,
        leeway_s: int = 30,
    ) -> None:
        if (secret is None) == (jwks_url is None):
            raise ValueError("give exactly one of secret (HS256) or jwks_url (RS256/ES256)")
        if secret is not None:
            _check_secret(secret)
        self._secret = secret
        self._jwks = (
            jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=VERIFIED_FOR_S, timeout=10)
            if jwks_url is not None
            else None
        )
        self.audience = audience
        self.issuer = issuer
        self.leeway_s = leeway_s
        # token -> (its principal, epoch seconds until which it may be taken unchecked)
        self._verified: dict[str, tuple[Principal, float]] = {}

    def _key(self, token: str) -> tuple[Any, list[str]]:
        if self._jwks is None:
            return self._secret, HS_ALGORITHMS
        try:
            return self._jwks.get_signing_key_from_jwt(token).key, JWKS_ALGORITHMS
        except jwt.PyJWKClientConnectionError as e:
            raise AuthError("UNAUTHENTICATED", f"signing keys unavailable: {e}") from e
        except jwt.PyJWKClientError as e:
            raise AuthError("UNAUTHENTICATED", f"invalid token: {e}") from e
        except jwt.PyJWTError as e:
            raise AuthError("UNAUTHENTICATED", f"malformed token: {e}") from e

    def verify(self, token: str) -> Principal:
        """The principal of a valid token. A client sends the same token with every
        request for its lifetime, and checking its signature and claims took 0.1 ms a
        request, so a verified token is remembered until it expires (and
        for at most `VERIFIED_FOR_S`, so a key withdrawn from the JWKS stops counting
        within that time, as a key-set refresh would make it)."""
        now = time.time()
        known = self._verified.get(token)
        if known is not None and now < known[1]:
            return known[0]
        principal, expires = self._check(token)
        if len(self._verified) >= VERIFIED_TOKENS:
            self._verified = {t: v for t, v in self._verified.items() if now < v[1]}
            if len(self._verified) >= VERIFIED_TOKENS:
                self._verified.clear()
        # PyJWT accepts a token while now < exp + leeway: so does the cache.
        self._verified[token] = (principal, min(expires + self.leeway_s, now + VERIFIED_FOR_S))
        return principal

    def _check(self, token: str) -> tuple[Principal, float]:
        if not token or not token.strip():
            raise AuthError("UNAUTHENTICATED", "missing bearer token")
        key, algorithms = self._key(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": ["sub", "exp", "aud"]},
            )
        except jwt.ExpiredSignatureError as e:
            raise AuthError("TOKEN_EXPIRED", "token has expired") from e
        except jwt.InvalidSignatureError as e:
            raise AuthError("UNAUTHENTICATED", "invalid token: bad signature") from e
        except jwt.MissingRequiredClaimError as e:
            raise AuthError("UNAUTHENTICATED", f"invalid token: missing claim '{e.claim}'") from e
        except jwt.InvalidAudienceError as e:
            raise AuthError(
                "UNAUTHENTICATED", f"invalid token: wrong audience (expected '{self.audience}')"
            ) from e
        except jwt.InvalidIssuerError as e:
            raise AuthError(
                "UNAUTHENTICATED", f"invalid token: wrong issuer (expected '{self.issuer}')"
            ) from e
        except jwt.InvalidAlgorithmError as e:
            raise AuthError(
                "UNAUTHENTICATED",
                f"invalid token: algorithm not allowed (allowed: {', '.join(algorithms)})",
            ) from e
        except jwt.DecodeError as e:
            raise AuthError("UNAUTHENTICATED", f"malformed token: {e}") from e
        except jwt.PyJWTError as e:
            raise AuthError("UNAUTHENTICATED", f"invalid token: {e}") from e
        return self._principal(claims), float(claims["exp"])

    @staticmethod
    def _principal(claims: Mapping[str, Any]) -> Principal:
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub.strip():
            raise AuthError("UNAUTHENTICATED", "invalid token: 'sub' must be a non-empty string")
        if "roles" not in claims:
            raise AuthError("UNAUTHENTICATED", "invalid token: missing claim 'roles'")
        return Principal(
            sub=sub,
            roles=_parse_roles(claims["roles"]),
            scopes=_parse_scopes(claims.get("scope")),
            territory=_parse_territory(claims.get("territory")),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
        )

    def principal_from_header(self, authorization: str | None) -> Principal:
        """Parse an `Authorization: Bearer <token>` header value and verify the token."""
        if authorization is None or not authorization.strip():
            raise AuthError("UNAUTHENTICATED", "missing Authorization header")
        parts = authorization.split()
        if len(parts) != 2 or parts[0].lower() != "bearer":
            raise AuthError(
                "UNAUTHENTICATED", "malformed Authorization header: expected 'Bearer <token>'"
            )
        return self.verify(parts[1])


def mint_token(
    secret: str,
    *,
    sub: str,
    roles: Iterable[Role | str],
    scopes: Iterable[str] = (),
    territory: Iterable[str] = (),
    ttl_s: int = 3600,
    audience: str = "c360",
) -> str:
    """An HS256 token for `c360 token` and tests; production tokens come from the IdP."""
    _check_secret(secret)
    role_list = sorted({Role(r).value for r in roles})  # ValueError on an unknown role
    if not role_list:
        raise ValueError("a token needs at least one role")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "roles": role_list,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_s,
    }
    scope = " ".join(sorted(set(scopes)))
    if scope:
        claims["scope"] = scope
    parishes = list(territory)
    if parishes:
        claims["territory"] = parishes
    return jwt.encode(claims, secret, algorithm="HS256")


# --- masking --------------------------------------------------------------------------

PII_FIELDS: frozenset[str] = frozenset(
    {"email", "emails", "phone", "phones", "dob", "address", "addresses", "line1", "line2"}
)
"""Field names holding personal data; parish and city are not personal and stay visible."""

_EMAIL_FIELDS = frozenset({"email", "emails"})
_PHONE_FIELDS = frozenset({"phone", "phones"})
_NESTED_VALUE_KEYS = frozenset({"value", "e164"})  # Email.value, Phone.e164 node properties
_HIDDEN = "***"
_DATE = re.compile(r"^(\d{4})-\d{2}-\d{2}")
_NANP_AREA_DIGITS = 3  # +1 numbers keep their area code: +1876 says "Jamaica"


def _mask_email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return _HIDDEN
    return f"{local[0]}***@{domain}"


def _country_code(digits: str) -> str:
    for n in (1, 2, 3):  # country calling codes are prefix-free
        if int(digits[:n]) in COUNTRY_CODE_TO_REGION_CODE:
            return digits[:n]
    return ""


def _mask_phone(value: str) -> str:
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) <= 2:
        return "*" * len(digits)
    kept = ""
    if value.lstrip().startswith("+"):
        cc = _country_code(digits)
        if cc == "1":
            cc = digits[: 1 + _NANP_AREA_DIGITS]
        kept = "+" + cc if len(cc) + 2 < len(digits) else "+"
    head = len(kept) - 1 if kept else 0
    return kept + "*" * (len(digits) - head - 2) + digits[-2:]


def _mask_dob(value: Any) -> str:
    if isinstance(value, date):
        return f"{value.year:04d}-**-**"
    m = _DATE.match(str(value))
    return f"{m.group(1)}-**-**" if m else "****-**-**"


def _mask_mapping(field: str, value: Mapping[str, Any]) -> dict[str, Any]:
    """A nested node (an Address, an Email with its value): mask its PII keys, keep the rest."""
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k in PII_FIELDS:
            out[k] = mask_value(k, v)
        elif k in _NESTED_VALUE_KEYS and field in _EMAIL_FIELDS | _PHONE_FIELDS:
            out[k] = mask_value(field, v)
        else:
            out[k] = v
    return out


def mask_value(field: str, value: Any) -> Any:
    """The masked form of one field's value; fields not in `PII_FIELDS` come back unchanged."""
    if value is None or field not in PII_FIELDS:
        return value
    if isinstance(value, list | tuple):
        return [mask_value(field, v) for v in value]
    if isinstance(value, Mapping):
        return _mask_mapping(field, value)
    if field in _EMAIL_FIELDS:
        return _mask_email(str(value))
    if field in _PHONE_FIELDS:
        return _mask_phone(str(value))
    if field == "dob":
        return _mask_dob(value)
    return _HIDDEN  # address, addresses, line1, line2 as text


def mask_fields(mapping: Mapping[str, Any], principal: Principal) -> dict[str, Any]:
    """A copy of `mapping` with PII masked unless the principal has the `pii` scope."""
    if principal.sees_pii:
        return dict(mapping)
    return {k: mask_value(k, v) if k in PII_FIELDS else v for k, v in mapping.items()}


def pii_fields_in(mapping: Mapping[str, Any]) -> tuple[str, ...]:
    """The PII fields present (not None) in `mapping`: what an unmasked read must audit."""
    return tuple(sorted(k for k, v in mapping.items() if k in PII_FIELDS and v is not None))


def jwt_secret(settings: Settings) -> str:
    """The HS256 secret: configured, or made once and kept in the home folder (0600)."""
    if settings.jwt_secret:
        return settings.jwt_secret
    path = settings.jwt_secret_file
    if not path.exists():
        import secrets
        import tempfile

        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside it (mkstemp makes it 0600), then linked into place: processes
        # starting together (the API's workers, on a new home) all read the one linked
        # first. Touched and then written, they could read it empty or each write their
        # own, and a worker refused the tokens `c360 token` made.
        fd, written = tempfile.mkstemp(dir=path.parent, prefix=".jwt_secret-")
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
            with suppress(FileExistsError):
                os.link(written, path)
        finally:
            os.unlink(written)
    return path.read_text().strip()
