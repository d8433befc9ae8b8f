// doc: Every Record of these Customers, the Records with these keys and every Record that shares a Customer with one of them, with their properties as resolve/attach_records reads them (blocking keys aside; deleted ones too, so that resolution detaches them; links and state come from resolve/record_links and resolve/record_state): incremental resolution widens its view with them until it holds whole linked components, as a full run sees them.
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
  coalesce(r.deleted, false) AS deleted
