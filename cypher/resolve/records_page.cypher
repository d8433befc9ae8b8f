// doc: One page of Records (not those deleted in the system of record) with everything identity resolution compares and their current Customer, in key order; page on with $after = the last key returned.
// example: {"after": "", "limit": 10}
MATCH (r:Record)
WHERE r.key > $after AND NOT coalesce(r.deleted, false)
WITH r ORDER BY r.key LIMIT $limit
RETURN r.key AS key, r.kind AS kind, r.source AS source, r.ingested_at AS ingested_at,
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
  [(r)-[:BLOCKED_BY]->(bk:BlockKey) | bk.key] AS blocks
