"""Every tunable of identity resolution, in one place.

The thresholds here are the shipped defaults: the service, the CLI and the benchmarks
all read them from this module, so a figure measured "at the default threshold" is the
figure a user gets.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class Thresholds(BaseModel):
    """Match probabilities (0..1) that route a scored pair.

    >= accept          linked ("accepted"): the model is sure
    >= link            linked ("probable"): more likely the same than not, so the
                       customer view shows them together; a steward is asked to confirm
    >= review          not linked ("review"): a steward is asked whether they are the same
    below              nothing is kept
    The benchmarks score at `link`: it is where the service puts records together.
    """

    accept: float = 0.95
    link: float = 0.5
    review: float = 0.2
    # Below, with a comparison weighing against them: two records of one cluster
    # contradict each other so strongly that the cluster must have been chained together
    # through a weak link, and is split there. (Below it by the prior alone, a pair only
    # shares too little to match: no contradiction.)
    contradiction: float = 0.001


DEFAULT_THRESHOLDS = Thresholds()


class Rule(StrEnum):
    """How a golden-record field chooses among the values of its records."""

    TRUST = "trust"  # from the most trusted source (then the most recent)
    RECENT = "recent"  # the most recently ingested value
    FREQUENT = "frequent"  # the value most records agree on (then trust)
    LONGEST = "longest"  # the fullest form ("Robert" over "Bob", "R.")


class Survivorship(BaseModel):
    """Which value survives into the golden record, field by field."""

    # Most trusted first; sources not listed come after, in name order.
    source_trust: list[str] = ["qbo", "crm", "pos", "directory", "sheets", "instagram"]
    # Sources whose values win outright for the fields they hold: corrections people
    # make through the API ("api" records, see ingest/profiles/api_edits.py) and the
    # system of record ("sor" rows: the source of truth; the API's edits go there when
    # one is configured). Among them the most recent value wins.
    override_sources: list[str] = ["api", "sor"]
    # Sources whose records a person attached to a customer on purpose (a correction):
    # their rep joining a customer of another rep is no news (no `record.matched`).
    correction_sources: list[str] = ["api"]
    rules: dict[str, Rule] = {
        "name": Rule.LONGEST,
        "given_name": Rule.LONGEST,
        "family_name": Rule.TRUST,
        "dob": Rule.FREQUENT,
        "email": Rule.FREQUENT,
        "phone": Rule.FREQUENT,
        "address": Rule.RECENT,
        "parish": Rule.FREQUENT,
        "city": Rule.FREQUENT,
        "company_key": Rule.TRUST,
        "website": Rule.FREQUENT,
        "handle": Rule.FREQUENT,
        # The sales rep who owns the account (not a completeness field: it says nothing
        # about what we know of the customer).
        "owner": Rule.TRUST,
    }
    # The fields profile completeness counts, per kind of customer.
    completeness_fields: dict[str, list[str]] = {
        "person": [
            "name",
            "given_name",
            "family_name",
            "dob",
            "email",
            "phone",
            "address",
            "parish",
            "company_key",
        ],
        "business": ["name", "email", "phone", "address", "parish", "website", "handle"],
    }


class Hubs(BaseModel):
    """Detection of identifiers shared by many unrelated records (switchboards, info@)."""

    # An identifier kind's hub limit is the smallest group size from which most record
    # pairs sharing such an identifier are different people (their names disagree).
    min_limit: int = 3
    agreement: float = 0.5
    # Groups larger than this are never expanded into pairs, whatever the data says.
    max_group: int = 200
    # A blocking key (a name code, a name in a parish) groups more loosely than an
    # identifier, so its blocks may be larger before they are skipped.
    block_limit: int = 100
    # A name run together ("shamarmaxwell", the `sp:` keys) is shared by every namesake:
    # only a rare name's block ties a handle to a person, a common one only adds pairs.
    spelled_limit: int = 10


class ResolverConfig(BaseModel):
    thresholds: Thresholds = Field(default_factory=Thresholds)
    # Comparisons whose plain disagreement ("else": different given names, different
    # dates of birth) keeps a pair from being linked without a person, however much
    # else agrees: household members share a phone, an address and a surname, and the
    # model, which counts those as independent, would add them up.
    veto: list[str] = ["given_name", "dob"]
    survivorship: Survivorship = Field(default_factory=Survivorship)
    hubs: Hubs = Field(default_factory=Hubs)
    # Clusters up to this size get every pair inside scored by the chaining guard.
    guard_max_cluster: int = 60
    # With this many steward verdicts of each kind (same / not the same), `--retrain`
    # fits a supervised model on them instead of the unsupervised one.
    min_labels: int = 50
    # EM trains on at most this many candidate pairs (a random sample beyond).
    train_pairs: int = 500_000
    # A full run reads records by windows of this many internal node ids (a range scan).
    read_window: int = 50_000
    write_batch: int = 2_000


DEFAULT_CONFIG = ResolverConfig()
