"""Sales reps' names for the interactions apply writes.

A `customer_interactions` row names its rep by id (`sales_reps.id`); the 360 view shows an
interaction's `rep` as the API's own writes store it, a name. Reps are reference data that
capture does not stream (a few rows, rarely changed), so apply asks the system of record
for the names of the reps a batch mentions, once per batch, and keeps them for `ttl_s`
(a rep renamed shows on interactions applied after that). Best effort: a system of record
that cannot be read leaves `rep` unset for that batch (its `rep_id` is always kept) rather
than stopping the stream into the graph.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable

from sqlalchemy.exc import SQLAlchemyError

from ingest.sor.db import SystemOfRecord

log = logging.getLogger(__name__)


class RepNames:
    """Rep id -> "Given Family", read from the system of record and cached."""

    def __init__(self, sor: SystemOfRecord, *, ttl_s: float = 300.0) -> None:
        self.sor = sor
        self.ttl_s = ttl_s
        self._known: dict[str, tuple[str | None, float]] = {}  # id -> (name, until)

    @classmethod
    def from_url(cls, url: str) -> RepNames:
        return cls(SystemOfRecord.from_url(url))

    def names(self, rep_ids: Iterable[str]) -> dict[str, str]:
        """The names of these reps that the system of record has (ids it lacks, and
        ones that are not uuids, are left out)."""
        now = time.monotonic()
        wanted = {i for i in rep_ids if i}
        stale = [i for i in wanted if self._known.get(i, (None, 0.0))[1] <= now]
        if stale:
            try:
                found = self.sor.sales_rep_names(i for i in stale if _is_uuid(i))
            except SQLAlchemyError as exc:
                log.warning("sales rep names not read from the system of record: %s", exc)
                found = None
            if found is not None:
                for rep_id in stale:  # unknown ones too, so they are not asked every batch
                    self._known[rep_id] = (found.get(rep_id), now + self.ttl_s)
        out = {}
        for rep_id in wanted:
            name = self._known.get(rep_id, (None, 0.0))[0]
            if name is not None:
                out[rep_id] = name
        return out

    def close(self) -> None:
        self.sor.close()


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
