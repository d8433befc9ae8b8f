"""The audit trail: every decision and every read of personal data, in one Redis stream.

A stream (not a list or a table) because entries are append-only, ordered by time, and
trimmed by length in the same command that adds them: an entry is one XADD, sent with the
other requests' small commands in one pipeline (`api.autopipeline`), cheap enough for
every PII read of the 360 view. Each entry is also written as one JSON line on the
`c360.audit` logger, with its stream id, so log shipping sees it without reading Redis.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, cast

import redis.asyncio as aioredis
from redis.typing import EncodableT

from api.auth import Principal
from api.autopipeline import AutoPipeline

__all__ = ["AUDIT_LOGGER", "AuditLog"]

AUDIT_LOGGER = "c360.audit"
log = logging.getLogger(AUDIT_LOGGER)

_SCAN_PAGE = 500


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _split(value: str, sep: str) -> list[str]:
    return value.split(sep) if value else []


def _entry(
    principal: Principal,
    action: str,
    target: str,
    fields: Sequence[str],
    detail: Mapping[str, Any] | None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "at": time.time_ns() // 1_000_000,
        "sub": principal.sub,
        "roles": [str(r) for r in sorted(principal.roles)],
        "action": action,
        "target": target,
        "fields": list(fields),
    }
    if detail:
        entry["detail"] = dict(detail)
    return entry


def _log(entry: dict[str, Any], ident: str) -> None:
    entry["id"] = ident
    if log.isEnabledFor(logging.INFO):
        log.info(json.dumps(entry, default=str, separators=(",", ":")))


def _log_stored(entry: dict[str, Any], done: asyncio.Future[Any]) -> None:
    if done.cancelled() or done.exception() is not None:
        reason = "cancelled" if done.cancelled() else repr(done.exception())
        log.error("audit entry not stored (%s): %s", reason, json.dumps(entry, default=str))
        return
    _log(entry, _text(done.result()))


class AuditLog:
    """Append-only audit entries over a Redis stream, trimmed to about `maxlen` entries."""

    def __init__(
        self, client: aioredis.Redis, stream: str = "c360:audit", maxlen: int = 1_000_000
    ) -> None:
        self.client = client
        self.stream = stream
        self.maxlen = maxlen
        self._pipeline = AutoPipeline.of(client)

    async def record(
        self,
        principal: Principal,
        action: str,
        target: str,
        fields: Sequence[str] = (),
        detail: Mapping[str, Any] | None = None,
    ) -> str:
        """Append one entry (action e.g. "pii.read", "decision.merge"); returns the entry id
        once it is in the stream."""
        entry = _entry(principal, action, target, fields, detail)
        ident = _text(await self._append(entry))
        _log(entry, ident)
        return ident

    def record_soon(
        self,
        principal: Principal,
        action: str,
        target: str,
        fields: Sequence[str] = (),
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """`record` for a caller that does not wait for it (a request's PII reads, noted as
        its answer goes out): queued at once, logged when stored; a failure is logged as
        an error naming the entry, never lost in silence."""
        entry = _entry(principal, action, target, fields, detail)
        self._append(entry).add_done_callback(lambda done: _log_stored(entry, done))

    def _append(self, entry: dict[str, Any]) -> asyncio.Future[Any]:
        stored: list[EncodableT] = [
            "at", entry["at"], "sub", entry["sub"], "roles", " ".join(entry["roles"]),
            "action", entry["action"], "target", entry["target"],
            "fields", ",".join(entry["fields"]),
        ]  # fmt: skip
        if "detail" in entry:
            stored += ["detail", json.dumps(entry["detail"], default=str)]
        return self._pipeline.send("XADD", self.stream, "MAXLEN", "~", self.maxlen, "*", *stored)

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
