"""The graph model: labels, relationship types, node keys and a pydantic model per node kind.

Evidence layer (this is what ingest writes):

    (:Record {key, source, source_id, kind, hash, ingested_at, ...cleaned fields})
      -[:HAS_EMAIL]->(:Email {value})        -[:HAS_PHONE]->(:Phone {e164})
      -[:LOCATED_AT]->(:Address {key, ...})  -[:HAS_HANDLE]->(:Handle {key, platform, value})
      -[:HAS_WEBSITE]->(:Website {domain})   -[:WORKS_AT]->(:Record {kind: 'business'})
      -[:HAS_INTERACTION]->(:Interaction {key, ...})
      -[:HAS_TRANSACTION]->(:Transaction {key, ...})

Identity layer (this is what `resolvers` writes; the evidence above is never rewritten):

    (:Record)-[:RESOLVES_TO {confidence, rule, at}]->(:Customer {id, kind, status, ...golden})
    (:Record)-[:SAME_AS {score, weight, status: accepted|probable|unsure, by, at}]->(:Record)
    (:Record)-[:MAYBE_SAME_AS {score, weight, status: review|rejected|unsure, by, at}]->(:Record)
    (:Record)-[:BLOCKED_BY]->(:BlockKey {key})      candidate keys beyond shared identifiers
    (:Decision {id, action, actor, at, reason, ...})-[:ABOUT]->(:Customer)
    (:MatchModel {kind, params_json, trained_at})          the trained scoring model per record kind

Linked pairs and the other scored pairs have different types so that connected
components (`algo.WCC`) can run over links alone.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Label(StrEnum):
    RECORD = "Record"
    EMAIL = "Email"
    PHONE = "Phone"
    ADDRESS = "Address"
    HANDLE = "Handle"
    WEBSITE = "Website"
    INTERACTION = "Interaction"
    TRANSACTION = "Transaction"
    CUSTOMER = "Customer"
    DECISION = "Decision"
    BLOCK_KEY = "BlockKey"
    MATCH_MODEL = "MatchModel"
    ALERT = "Alert"
    ALERT_RULE = "AlertRule"
    WEBHOOK = "Webhook"


class Rel(StrEnum):
    HAS_EMAIL = "HAS_EMAIL"
    HAS_PHONE = "HAS_PHONE"
    LOCATED_AT = "LOCATED_AT"
    HAS_HANDLE = "HAS_HANDLE"
    HAS_WEBSITE = "HAS_WEBSITE"
    WORKS_AT = "WORKS_AT"
    HAS_INTERACTION = "HAS_INTERACTION"
    HAS_TRANSACTION = "HAS_TRANSACTION"
    RESOLVES_TO = "RESOLVES_TO"
    SAME_AS = "SAME_AS"
    MAYBE_SAME_AS = "MAYBE_SAME_AS"
    BLOCKED_BY = "BLOCKED_BY"
    ABOUT = "ABOUT"
    # Customer to customer (resolvers.relations): `source` says who wrote the edge.
    REFERRED = "REFERRED"
    KNOWS = "KNOWS"
    HOUSEHOLD = "HOUSEHOLD"
    COLLEAGUE = "COLLEAGUE"
    CO_ATTENDED = "CO_ATTENDED"
    FOLLOWS = "FOLLOWS"
    INFLUENCE_FLOW = "INFLUENCE_FLOW"  # transient projection for the in-store PageRank


# The property that identifies each node kind; every one is indexed and unique.
NODE_KEYS: dict[Label, str] = {
    Label.RECORD: "key",
    Label.EMAIL: "value",
    Label.PHONE: "e164",
    Label.ADDRESS: "key",
    Label.HANDLE: "key",
    Label.WEBSITE: "domain",
    Label.INTERACTION: "key",
    Label.TRANSACTION: "key",
    Label.CUSTOMER: "id",
    Label.DECISION: "id",
    Label.BLOCK_KEY: "key",
    Label.MATCH_MODEL: "kind",
    Label.ALERT: "id",
    Label.ALERT_RULE: "id",
    Label.WEBHOOK: "id",
}

# Further properties that are looked up often enough to deserve an index.
SECONDARY_INDEXES: dict[Label, tuple[str, ...]] = {
    Label.RECORD: ("source", "kind", "name_folded", "company_key"),
    Label.CUSTOMER: ("status", "owner", "parish"),
    Label.ALERT: ("rep", "status"),
}


class _Node(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class RecordNode(_Node):
    key: str
    source: str
    source_id: str
    kind: str = Field(pattern="^(person|business)$")
    hash: str
    ingested_at: int  # epoch milliseconds: both stores compare integers the same way
    name: str | None = None


class EmailNode(_Node):
    value: str


class PhoneNode(_Node):
    e164: str = Field(pattern=r"^\+[1-9]\d{6,14}$")


class AddressNode(_Node):
    key: str
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    parish: str | None = None
    postal_zone: str | None = None
    country: str | None = None


class HandleNode(_Node):
    key: str  # "platform:value"
    platform: str
    value: str


class WebsiteNode(_Node):
    domain: str


class InteractionNode(_Node):
    key: str
    source: str
    source_id: str
    hash: str
    ingested_at: int


class TransactionNode(_Node):
    key: str
    source: str
    source_id: str
    hash: str
    ingested_at: int


class CustomerNode(_Node):
    id: str
    kind: str = Field(pattern="^(person|business)$")
    status: str = Field(pattern="^(active|merged|retired)$")
    created_at: int
    updated_at: int
    completeness: float = Field(ge=0, le=1)
    merged_into: str | None = None
    name: str | None = None


class DecisionNode(_Node):
    id: str
    action: str
    actor: str
    at: int
    reason: str


class BlockKeyNode(_Node):
    key: str


class MatchModelNode(_Node):
    kind: str
    params_json: str
    trained_at: int


NODE_MODELS: dict[Label, type[_Node]] = {
    Label.RECORD: RecordNode,
    Label.EMAIL: EmailNode,
    Label.PHONE: PhoneNode,
    Label.ADDRESS: AddressNode,
    Label.HANDLE: HandleNode,
    Label.WEBSITE: WebsiteNode,
    Label.INTERACTION: InteractionNode,
    Label.TRANSACTION: TransactionNode,
    Label.CUSTOMER: CustomerNode,
    Label.DECISION: DecisionNode,
    Label.BLOCK_KEY: BlockKeyNode,
    Label.MATCH_MODEL: MatchModelNode,
}
