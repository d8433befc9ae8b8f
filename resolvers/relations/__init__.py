"""Relationship mapping: referrals, households, colleagues, shared contacts, co-attendance,
social follows, influence, communities, betweenness and warm-intro paths between
customers (issue 6)."""

from __future__ import annotations

from resolvers.relations.derive import DERIVED, REFERRAL, Edge
from resolvers.relations.intros import IntroPath, warm_intros
from resolvers.relations.mapper import RelationsConfig, RelationshipMapper, RelationsReport
from resolvers.relations.names import NameIndex, Person, Referral, ReferralMatch

__all__ = [
    "DERIVED",
    "REFERRAL",
    "Edge",
    "IntroPath",
    "NameIndex",
    "Person",
    "Referral",
    "ReferralMatch",
    "RelationsConfig",
    "RelationsReport",
    "RelationshipMapper",
    "warm_intros",
]
