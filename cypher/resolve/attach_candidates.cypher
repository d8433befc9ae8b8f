// doc: Incremental resolution of arriving Records in one round trip: link each to its new blocking keys, then return its candidates (other Records of the same kind, not deleted in the system of record, that share an identifier or a blocking key with it; identifiers shared by more live Records than the hub limit of their kind, $caps, are weak evidence and generate none) with what resolution compares (no Customer, verdicts or blocking keys: most candidates are not linked, and those that are get read whole by resolve/component_records), with the arriving key as `arriving`.
// writes: true
// example: {"rows": [{"key": "crm:EX1", "blocks": ["pn:XMPL|a"]}], "caps": {"email": 5, "phone": 5, "address": 5, "handle": 5, "website": 5, "block": 50}}
UNWIND $rows AS row
MATCH (n:Record {key: row.key})
WHERE NOT coalesce(n.deleted, false)
FOREACH (k IN row.blocks | MERGE (b:BlockKey {key: k}) MERGE (n)-[:BLOCKED_BY]->(b))
WITH DISTINCT n
MATCH (n)-[:HAS_EMAIL|HAS_PHONE|LOCATED_AT|HAS_HANDLE|HAS_WEBSITE|BLOCKED_BY]->(x)
WITH n, x, size([(x)<-[:HAS_EMAIL|HAS_PHONE|LOCATED_AT|HAS_HANDLE|HAS_WEBSITE|BLOCKED_BY]-(o:Record) WHERE NOT coalesce(o.deleted, false) | o]) AS degree,
  CASE
    WHEN x:Email THEN $caps.email
    WHEN x:Phone THEN $caps.phone
    WHEN x:Address THEN $caps.address
    WHEN x:Handle THEN $caps.handle
    WHEN x:Website THEN $caps.website
    ELSE $caps.block
  END AS cap
WHERE degree <= cap
MATCH (x)<-[:HAS_EMAIL|HAS_PHONE|LOCATED_AT|HAS_HANDLE|HAS_WEBSITE|BLOCKED_BY]-(r:Record)
WHERE r.kind = n.kind AND r.key <> n.key AND NOT coalesce(r.deleted, false)
WITH DISTINCT n.key AS arriving, r
RETURN arriving, r.key AS key, r.kind AS kind, r.source AS source, r.ingested_at AS ingested_at,
  r.name AS name, r.name_folded AS name_folded, r.given_name AS given_name,
  r.family_name AS family_name, r.dob AS dob, r.parish AS parish, r.city AS city,
  r.company AS company, r.company_key AS company_key, r.owner AS owner, r.rep AS rep,
  [(r)-[:HAS_EMAIL]->(e) | e.value] AS emails,
  [(r)-[:HAS_PHONE]->(p) | p.e164] AS phones,
  [(r)-[:LOCATED_AT]->(a) | a.key] AS addresses,
  [(r)-[:HAS_HANDLE]->(h) | h.key] AS handles,
  [(r)-[:HAS_WEBSITE]->(w) | w.domain] AS websites,
  [(r)-[:WORKS_AT]->(emp) | emp.company_key] AS employers,
  [(r)<-[:WORKS_AT]-()-[:HAS_EMAIL]->(se) | se.value] AS staff_emails
