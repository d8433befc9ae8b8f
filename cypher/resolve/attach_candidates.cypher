// doc: Incremental resolution of arriving Records in one round trip: link each to its new blocking keys, then return its candidates (other Records of the same kind that share an identifier or a blocking key with it; identifiers shared by more Records than the hub limit of their kind, $caps, are weak evidence and generate none) as resolve/attach_records reads them, with the arriving key as `arriving`.
// writes: true
// example: {"rows": [{"key": "crm:EX1", "blocks": ["pn:XMPL|a"]}], "caps": {"email": 5, "phone": 5, "address": 5, "handle": 5, "website": 5, "block": 50}}
UNWIND $rows AS row
MATCH (n:Record {key: row.key})
FOREACH (k IN row.blocks | MERGE (b:BlockKey {key: k}) MERGE (n)-[:BLOCKED_BY]->(b))
WITH DISTINCT n
MATCH (n)-[:HAS_EMAIL|HAS_PHONE|LOCATED_AT|HAS_HANDLE|HAS_WEBSITE|BLOCKED_BY]->(x)
WITH n, x, size([(x)<-[:HAS_EMAIL|HAS_PHONE|LOCATED_AT|HAS_HANDLE|HAS_WEBSITE|BLOCKED_BY]-(o:Record) | o]) AS degree,
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
WHERE r.kind = n.kind AND r.key <> n.key
WITH DISTINCT n.key AS arriving, r
RETURN arriving, r.key AS key, r.kind AS kind, r.source AS source, r.ingested_at AS ingested_at,
  r.name AS name, r.name_folded AS name_folded, r.given_name AS given_name,
  r.family_name AS family_name, r.dob AS dob, r.parish AS parish, r.city AS city,
  r.company AS company, r.company_key AS company_key, r.owner AS owner, r.rep AS rep,
  [(r)-[:HAS_EMAIL]->(e:Email) | e.value] AS emails,
  [(r)-[:HAS_PHONE]->(p:Phone) | p.e164] AS phones,
  [(r)-[:LOCATED_AT]->(a:Address) | a.key] AS addresses,
  [(r)-[:HAS_HANDLE]->(h:Handle) | h.key] AS handles,
  [(r)-[:HAS_WEBSITE]->(w:Website) | w.domain] AS websites,
  [(r)-[:WORKS_AT]->(b:Record) | b.company_key] AS employers,
  [(r)<-[:WORKS_AT]-(:Record)-[:HAS_EMAIL]->(se:Email) | se.value] AS staff_emails,
  [(r)-[:RESOLVES_TO]->(c:Customer) | c.id] AS customers,
  [(r)-[:BLOCKED_BY]->(bk:BlockKey) | bk.key] AS blocks,
  [(r)-[:RESOLVES_TO]->(cm:Customer) | cm {.id, .kind, .status, .merged_into, .created_at, .name}] AS customer_meta,
  [(r)-[ps:SAME_AS|MAYBE_SAME_AS]-(po:Record) | {other: po.key, status: ps.status, score: ps.score, weight: ps.weight, by: ps.by, linked: type(ps) = 'SAME_AS'}] AS pairs
