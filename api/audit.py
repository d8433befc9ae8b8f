"""The audit trail: every decision and every read of personal data, in one Redis stream.

A stream (not a list or a table) because entries are append-only, ordered by time, and
trimmed by length in the same command that adds them: `record` is one XADD, one round
trip, cheap enough to call per PII read on the 360 view. Each entry is also written as
one JSON line on the `c360.audit` logger so log shipping sees it without reading Redis.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, cast

import redis.asyncio as aioredis
from redis.typing import EncodableT, FieldT

from api.auth import Principal

__all__ = ["AUDIT_LOGGER", "AuditLog"]

AUDIT_LOGGER = "c360.audit"
log = logging.getLogger(AUDIT_LOGGER)

_SCAN_PAGE = 500


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _split(value: str, sep: str) -> list[str]:
    return value.split(sep) if value else []


class AuditLog:
    """Append-only audit entries over a Redis stream, trimmed to about `maxlen` entries."""

    def __init__(
        self, client: aioredis.Redis, stream: str = "c360:audit", maxlen: int = 1_000_000
    ) -> None:
        self.client = client
        self.stream = stream
        self.maxlen = maxlen

    async def record(
        self,
        principal: Principal,
        action: str,
        target: str,
        fields: Sequence[str] = (),
        detail: Mapping[str, Any] | None = None,
    ) -> str:
        """Append one entry (action e.g. "pii.read", "decision.merge"); returns the entry id."""
        at = time.time_ns() // 1_000_000
        entry: dict[str, Any] = {
            "at": at,
            "sub": principal.sub,
            "roles": [str(r) for r in sorted(principal.roles)],
            "action": action,
            "target": target,
            "fields": list(fields),
        }
        if detail:
            entry["detail"] = dict(detail)
        detail_json = json.dumps(entry["detail"], default=str) if detail else ""
        stored: dict[FieldT, EncodableT] = {
            "at": at,
            "sub": principal.sub,
            "roles": " ".join(entry["roles"]),
            "action": action,
            "target": target,
            "fields": ",".join(entry["fields"]),
        }
        if detail_json:
            stored["detail"] = detail_json
        entry_id = await self.client.xadd(self.stream, stored, maxlen=self.maxlen, approximate=True)
        ident = _text(entry_id)
        entry["id"] = ident
        if log.isEnabledFor(logging.INFO):
            log.info(json.dumps(entry, default=str, separators=(",", ":")))
        return ident

    async def recent(
        self, limit: int = 100, action: str | None = None, sub: str | None = None
    ) -> list[dict[str, Any]]:
        """The newest entries first, optionally only one action and/or one principal.

        With a filter it pages back through the stream until `limit` entries match or
        the stream ends.
        """
        if limit <= 0:
            return []
        filtered = action is not None or sub is not None
        out: list[dict[str, Any]] = []
        upper = "+"
        while len(out) < limit:
            page = limit if not filtered else max(limit, _SCAN_PAGE)
            rows = await cast(
                Awaitable[list[tuple[bytes | str, dict[Any, Any]]] | None],
                self.client.xrevrange(self.stream, max=upper, min="-", count=page),
            )
            if not rows:
                break
            for entry_id, raw in rows:
                entry = self._decode(_text(entry_id), raw)
                if (action is None or entry["action"] == action) and (
                    sub is None or entry["sub"] == sub
                ):
                    out.append(entry)
                    if len(out) == limit:
                        break
            if len(rows) < page:
                break
            upper = "(" + _text(rows[-1][0])  # exclusive: continue below the last one seen
        return out

    @staticmethod
    def _decode(entry_id: str, raw: Mapping[Any, Any]) -> dict[str, Any]:
        values = {_text(k): _text(v) for k, v in raw.items()}
        detail = values.get("detail")
        return {
            "id": entry_id,
            "at": int(values.get("at", "0")),
            "sub": values.get("sub", ""),
            "roles": _split(values.get("roles", ""), " "),
            "action": values.get("action", ""),
            "target": values.get("target", ""),
            "fields": _split(values.get("fields", ""), ","),
            "detail": json.loads(detail) if detail else None,
        }
