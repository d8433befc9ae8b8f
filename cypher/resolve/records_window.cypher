// doc: The Records (not those deleted in the system of record) whose internal node id is in [$lo, $hi), with every property identity resolution compares; their identifiers, employers, customers and blocking keys come from resolve/record_links_window. A window of ids is a range scan on both stores, where paging by key re-sorted every remaining record for each page.
// example: {"lo": 0, "hi": 1000}
MATCH (r:Record)
WHERE id(r) >= $lo AND id(r) < $hi AND NOT coalesce(r.deleted, false)
RETURN r.key AS key, r.kind AS kind, r.source AS source, r.ingested_at AS ingested_at,
  r.name AS name, r.name_folded AS name_folded, r.given_name AS given_name,
  r.family_name AS family_name, r.dob AS dob, r.parish AS parish, r.city AS city,
  r.company AS company, r.company_key AS company_key, r.owner AS owner, r.rep AS rep
