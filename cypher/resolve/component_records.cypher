// doc: Every Record of these Customers, the Records with these keys and every Record that shares a Customer with one of them, as resolve/attach_records reads them (blocking keys aside; deleted ones too, so that resolution detaches them): incremental resolution widens its view with them until it holds whole linked components, as a full run sees them.
// example: {"ids": ["C0000000000000"], "keys": ["crm:EX1"]}
UNWIND $ids AS id
MATCH (m:Record)-[:RESOLVES_TO]->(:Customer {id: id})
WITH collect(m) AS of_customers
UNWIND (CASE WHEN size($keys) = 0 THEN [null] ELSE $keys END) AS k
OPTIONAL MATCH (n:Record {key: k})
OPTIONAL MATCH (n)-[:RESOLVES_TO]->(:Customer)<-[:RESOLVES_TO]-(mate:Record)
WITH of_customers, collect(n) AS with_keys, collect(mate) AS mates
UNWIND of_customers + with_keys + mates AS r
WITH DISTINCT r
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
  [(r)-[ps:SAME_AS|MAYBE_SAME_AS]-(po) | {other: po.key, status: ps.status, score: ps.score, weight: ps.weight, by: ps.by, linked: type(ps) = 'SAME_AS'}] AS pairs
