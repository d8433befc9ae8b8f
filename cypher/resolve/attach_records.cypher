// doc: The Records with these keys, as incremental resolution reads them: everything resolution compares, whether it is deleted in the system of record (resolution then detaches it), the blocking keys they are linked to, their current Customer (with the state a merge or split keeps; its id also as `customers`), and every verdict on a pair that touches them.
// example: {"keys": ["crm:EX1", "crm:org:example"]}
UNWIND $keys AS k
MATCH (r:Record {key: k})
RETURN r.key AS key, r.kind AS kind, r.source AS source, r.ingested_at AS ingested_at,
  r.name AS name, r.name_folded AS name_folded, r.given_name AS given_name,
  r.family_name AS family_name, r.dob AS dob, r.parish AS parish, r.city AS city,
  r.company AS company, r.company_key AS company_key, r.owner AS owner, r.rep AS rep,
  coalesce(r.deleted, false) AS deleted,
  [(r)-[:HAS_EMAIL]->(e) | e.value] AS emails,
  [(r)-[:HAS_PHONE]->(p) | p.e164] AS phones,
  [(r)-[:LOCATED_AT]->(a) | a.key] AS addresses,
  [(r)-[:HAS_HANDLE]->(h) | h.key] AS handles,
  [(r)-[:HAS_WEBSITE]->(w) | w.domain] AS websites,
  [(r)-[:WORKS_AT]->(emp) | emp.company_key] AS employers,
  [(r)<-[:WORKS_AT]-()-[:HAS_EMAIL]->(se) | se.value] AS staff_emails,
  [(r)-[:RESOLVES_TO]->(cm) | cm {.id, .kind, .status, .merged_into, .created_at, .name}] AS customer_meta,
  [(r)-[ps:SAME_AS|MAYBE_SAME_AS]-(po) | {other: po.key, status: ps.status, score: ps.score, weight: ps.weight, by: ps.by, linked: type(ps) = 'SAME_AS'}] AS pairs,
  [(r)-[:BLOCKED_BY]->(bk) | bk.key] AS blocks
