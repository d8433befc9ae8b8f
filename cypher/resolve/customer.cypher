// doc: A Customer's golden record, the Records that resolve to it (with confidence) and the Decisions about it, newest first. A merged Customer shows where it went (merged_into).
// example: {"id": "C0000000000000"}
MATCH (c:Customer {id: $id})
RETURN c {.*} AS customer,
  [(r:Record)-[l:RESOLVES_TO]->(c) | {key: r.key, source: r.source, name: r.name, confidence: l.confidence, rule: l.rule}] AS records,
  [(d:Decision)-[:ABOUT]->(c) | {id: d.id, action: d.action, actor: d.actor, at: d.at, reason: d.reason, undone_by: d.undone_by}] AS decisions
