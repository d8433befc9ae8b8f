"""What a data steward does: the review queue, pair verdicts, manual merge and split, undo.

A person's verdict on a pair of records is stored on the pair (`by` = the person) and
always beats the model's, in this run and every later one. Merges and splits are made by
pinning pairs (together or apart) and re-resolving the records involved, so the same
code path as automatic resolution writes the Customers and the Decisions; an undo
restores the state a Decision recorded and pins it so that it holds.
"""

from __future__ import annotations

import json
from typing import Any

from graph.customer_activity import refresh_activity
from resolvers.identity import IdentityResolver, Pair, ResolveReport, new_id, now_ms, ordered
from resolvers.records import ResolutionRecord
from resolvers.scoring import explanation_json

STATUSES = ("accepted", "rejected", "unsure")


class StewardError(ValueError):
    """A steward's request that cannot be carried out (unknown id, nothing to undo...)."""


class Stewardship:
    def __init__(self, resolver: IdentityResolver) -> None:
        self.resolver = resolver
        self.store = resolver.store

    # -- the queue -----------------------------------------------------------------------
    def queue(self, skip: int = 0, limit: int = 20) -> list[dict[str, Any]]:
        """Pairs waiting for a verdict, likeliest first, each with its explanation."""
        rows = self.store.run(
            "resolve/review_queue", {"skip": skip, "limit": limit, "window": skip + limit}
        )
        records = {
            r.key: r
            for r in self.resolver.load_records(
                sorted({k for row in rows for k in (row["a"], row["b"])})
            )
        }
        for row in rows:
            explanation = self.resolver.explain(records[row["a"]], records[row["b"]])
            row["explanation"] = explanation_json(explanation)
        return rows

    def verdict(self, a: str, b: str, status: str, actor: str, reason: str) -> ResolveReport:
        """accept / reject / "not sure" for one pair; the records are re-resolved."""
        if status not in STATUSES:
            raise StewardError(f"verdict must be one of {', '.join(STATUSES)}, not {status!r}")
        records = self._records([a, b])
        if records[0].kind != records[1].kind:
            raise StewardError(
                f"{a} is a {records[0].kind} record and {b} a {records[1].kind} record"
            )
        pair = ordered(a, b)
        before = self.resolver.pairs_state([pair])
        # "Not sure" leaves the pair as linked or unlinked as it was; it only leaves the queue.
        self._set_pairs(
            [pair], status, actor, linked=before[0]["linked"] if status == "unsure" else None
        )
        self._decide(
            f"pair_{status}",
            actor,
            reason,
            [r.customer for r in records],
            [a, b],
            {"pairs": before},
        )
        if status == "unsure":
            return ResolveReport(mode="incremental")
        return self.resolver.resolve_records([a, b], actor=actor, reason=reason)

    # -- customers -----------------------------------------------------------------------
    def merge(self, first: str, second: str, actor: str, reason: str) -> ResolveReport:
        """Make two Customers one; the older id is kept, the other points to it."""
        a, b = self._members(first), self._members(second)
        if first == second:
            raise StewardError("a customer cannot be merged with itself")
        self._pin_together(a, b, actor)
        return self.resolver.resolve_records([*a, *b], actor=actor, reason=reason)

    def attach(self, key: str, customer: str, actor: str, reason: str) -> ResolveReport:
        """Put one record into a customer on a person's word (a correction made through
        the API): pinned like a merge, so no contradiction with the others cuts it out."""
        self._records([key])
        members = [k for k in self._members(customer) if k != key]
        if not members:
            raise StewardError(f"customer {customer} has no other records to attach {key} to")
        self._pin_together([key], members, actor)
        return self.resolver.resolve_records([key, *members], actor=actor, reason=reason)

    def split(self, customer: str, keys: list[str], actor: str, reason: str) -> ResolveReport:
        """Move `keys` out of `customer` into a Customer of their own (a new id)."""
        members = self._members(customer)
        moving = sorted(set(keys))
        unknown = [k for k in moving if k not in members]
        if unknown:
            raise StewardError(f"not records of {customer}: {', '.join(unknown)}")
        staying = [k for k in members if k not in moving]
        if not moving or not staying:
            raise StewardError("a split needs records on both sides")
        self._pin_apart(moving, staying, actor)
        if len(staying) > 1:
            # The rest stays one customer, even where the moved records were its only glue.
            self._pin_together(staying[:1], staying[1:], actor)
        return self.resolver.resolve_records(members, actor=actor, reason=reason, leaving=moving)

    def undo(self, decision_id: str, actor: str, reason: str) -> ResolveReport:
        """Restore the state before a merge, split or pair verdict, and make it hold."""
        rows = self.store.run("resolve/decision", {"id": decision_id})
        if not rows:
            raise StewardError(f"no decision {decision_id}")
        decision = rows[0]
        if decision["undone_by"]:
            raise StewardError(
                f"decision {decision_id} was already undone by {decision['undone_by']}"
            )
        before = json.loads(decision["before"] or "{}")
        action = decision["action"]
        if action.startswith("pair_"):
            pairs = [tuple(p["pair"]) for p in before.get("pairs", [])]
            for entry in before.get("pairs", []):
                a, b = entry["pair"]
                if entry["status"] is None:
                    self.store.run("resolve/remove_pairs", {"rows": [{"a": a, "b": b}]})
                else:
                    self._set_pairs([(a, b)], entry["status"], entry["by"], linked=entry["linked"])
            keys = sorted({k for p in pairs for k in p})
        elif action in ("merge", "split"):
            assignments: dict[str, str | None] = before.get("assignments", {})
            if action == "merge":
                # The absorbed Customers come back with exactly their records.
                groups: dict[str, list[str]] = {}
                for key, customer in assignments.items():
                    if customer:
                        groups.setdefault(customer, []).append(key)
                kept = decision["customers"][0]
                rest = [k for k in self._members(kept) if k not in assignments]
                for keys_back in groups.values():
                    self._pin_apart(keys_back, rest, actor)
                self._restore(assignments, actor)
                keys = sorted({*assignments, *rest})
            else:
                new_customer = decision["customers"][0]
                moved = self._members(new_customer)
                old = sorted({c for c in assignments.values() if c})
                staying = [k for c in old for k in self._members(c)]
                self._pin_together(moved, staying, actor)
                keys = sorted({*moved, *staying})
        else:
            raise StewardError(
                f"decision {decision_id} is a {action!r}; merges, splits and pair verdicts can be undone"
            )
        report = self.resolver.resolve_records(
            keys, actor=actor, reason=f"undo of {decision_id}: {reason}"
        )
        undo_id = self._decide(
            "undo",
            actor,
            reason,
            list(decision["customers"] or []),
            keys,
            {"undoes": decision_id},
            undoes=decision_id,
        )
        self.store.run("resolve/mark_undone", {"id": decision_id, "undone_by": undo_id})
        return report

    # -- internals -----------------------------------------------------------------------
    def _records(self, keys: list[str]) -> list[ResolutionRecord]:
        records = {r.key: r for r in self.resolver.load_records(keys)}
        missing = [k for k in keys if k not in records]
        if missing:
            raise StewardError(f"no record {', '.join(missing)}")
        return [records[k] for k in keys]

    def _members(self, customer: str) -> list[str]:
        rows = self.store.run("resolve/customer", {"id": customer})
        if not rows:
            raise StewardError(f"no customer {customer}")
        status = rows[0]["customer"].get("status")
        if status == "merged":
            raise StewardError(
                f"customer {customer} was merged into {rows[0]['customer'].get('merged_into')}"
            )
        return sorted(r["key"] for r in rows[0]["records"])

    def _set_pairs(
        self, pairs: list[Pair], status: str, actor: str, linked: bool | None = None
    ) -> None:
        # A person's "same" is the strongest link there is, their "not the same" the weakest.
        score = 1.0 if status == "accepted" else 0.0
        linked = status == "accepted" if linked is None else linked
        at = now_ms()
        self.store.write_batches(
            "resolve/set_pairs",
            [
                {
                    "a": a,
                    "b": b,
                    "status": status,
                    "score": score,
                    "weight": None,
                    "by": actor,
                    "linked": linked,
                    "at": at,
                }
                for a, b in pairs
            ],
            self.resolver.config.write_batch,
        )

    def _pin_together(self, left: list[str], right: list[str], actor: str) -> None:
        """One accepted link across, and every "not the same" across overruled: the
        model's contradictions and any earlier person's rejection."""
        by_key = {r.key: r for r in self.resolver.load_records([*left, *right])}
        cross = [ordered(a, b) for a in left for b in right]
        rejected = {
            ordered(*e["pair"])
            for e in self.resolver.pairs_state(cross)
            if e["status"] == "rejected"
        }
        pinned = {
            ordered(left[0], right[0]),
            *rejected,
            *self.resolver.contradicting(cross, by_key),
        }
        self._set_pairs(sorted(pinned), "accepted", actor)

    def _pin_apart(self, left: list[str], right: list[str], actor: str) -> None:
        """Every accepted link across rejected, and one rejected pair that keeps them apart."""
        state = self.resolver.pairs_state([ordered(a, b) for a in left for b in right])
        across = {ordered(*e["pair"]) for e in state if e["linked"]}
        across.add(ordered(left[0], right[0]))
        self._set_pairs(sorted(across), "rejected", actor)

    def _restore(self, assignments: dict[str, str | None], actor: str) -> None:
        at = now_ms()
        rows = [
            {"key": k, "customer": c, "confidence": 1.0, "rule": f"undo by {actor}", "at": at}
            for k, c in assignments.items()
            if c
        ]
        ids = sorted({c for c in assignments.values() if c})
        # the customers the records leave, whose activity dates move with them
        leaving = {r.customer for r in self.resolver.load_records(list(assignments)) if r.customer}
        self.store.run("resolve/reactivate", {"ids": ids})
        self.store.write_batches("resolve/assign", rows, self.resolver.config.write_batch)
        refresh_activity(self.store, ids=[*ids, *leaving])

    def _decide(
        self,
        action: str,
        actor: str,
        reason: str,
        customers: list[str | None],
        records: list[str],
        before: dict[str, Any],
        undoes: str | None = None,
    ) -> str:
        decision_id = new_id("D")
        ids = sorted({c for c in customers if c})
        props: dict[str, Any] = {
            "id": decision_id,
            "action": action,
            "actor": actor,
            "at": now_ms(),
            "reason": reason,
            "customers": ids,
            "records": records,
            "scores": "[]",
            "before": json.dumps(before),
        }
        if undoes:
            props["undoes"] = undoes
        self.store.run("resolve/write_decisions", {"rows": [{"props": props, "customers": ids}]})
        return decision_id
