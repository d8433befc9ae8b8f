"""What a source profile produces from one source row: evidence for the graph.

A profile validates a raw row with its own pydantic row model, normalises it with
`ingest.normalise`, and returns one or more of these. The pipeline hashes them,
decides new / updated / unchanged, and writes them to the graph.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

# Values a graph property may hold in both FalkorDB and Neo4j: flat primitives or lists.
PropertyValue = str | int | float | bool | list[str] | None


class RecordKind(StrEnum):
    PERSON = "person"
    BUSINESS = "business"


class ActivityKind(StrEnum):
    INTERACTION = "interaction"
    TRANSACTION = "transaction"


class AddressEvidence(BaseModel):
    """A cleaned postal address; `key` identifies the shared `Address` node."""

    model_config = ConfigDict(frozen=True)

    key: str
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    parish: str | None = None
    postal_zone: str | None = None
    country: str = "JM"


class HandleEvidence(BaseModel):
    """A social handle; `platform` + `value` identify the shared `Handle` node."""

    model_config = ConfigDict(frozen=True)

    platform: str
    value: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.value}"


class EvidenceRecord(BaseModel):
    """One `Record` node (a person or business as one source saw it) and its identifiers."""

    source: str = Field(min_length=1)
    source_id: str = Field(min_length=1)
    kind: RecordKind
    # Cleaned, flat fields stored on the Record node (name, given_name, family_name,
    # name_folded, company, company_key, dob, parish, city, segment, stage, referred_by,
    # ...). Never nested maps: neither store keeps map properties.
    fields: dict[str, PropertyValue] = Field(default_factory=dict)
    emails: list[str] = Field(default_factory=list)  # canonical matching form
    phones: list[str] = Field(default_factory=list)  # E.164
    addresses: list[AddressEvidence] = Field(default_factory=list)
    handles: list[HandleEvidence] = Field(default_factory=list)
    websites: list[str] = Field(default_factory=list)  # bare domains
    works_at: str | None = None  # key of a business Record ("source:source_id")
    # True for a record implied by a column of another row (the company of a contact):
    # many rows may yield it, so it is merged, never counted as the row's own record.
    derived: bool = False

    @property
    def key(self) -> str:
        return f"{self.source}:{self.source_id}"


class ActivityRecord(BaseModel):
    """An `Interaction` or `Transaction` node hanging off the Record it came with."""

    source: str = Field(min_length=1)
    source_id: str = Field(min_length=1)
    kind: ActivityKind
    record_key: str  # the Record it belongs to ("source:source_id")
    fields: dict[str, PropertyValue] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.source_id}"


SourceItem = EvidenceRecord | ActivityRecord
