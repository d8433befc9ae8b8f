// doc: Record an interaction with a customer through the API: attached to the customer's first record (by key), created once per $key (a retry changes nothing); returns it and the record it hangs off.
// writes: true
// example: {"customer": "C0000000000000", "key": "api:example", "props": {"type": "call", "occurred_at": "2026-01-05T10:00:00", "rep": "rep-1", "subject": "Price enquiry", "source": "api", "source_id": "example", "kind": "interaction"}}
MATCH (:Customer {id: $customer})<-[:RESOLVES_TO]-(r:Record)
WITH r ORDER BY r.key LIMIT 1
MERGE (i:Interaction {key: $key})
ON CREATE SET i += $props, i.ingested_at = timestamp()
MERGE (r)-[:HAS_INTERACTION]->(i)
RETURN i {.*} AS interaction, r.key AS record
