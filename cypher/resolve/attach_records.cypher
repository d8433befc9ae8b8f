// doc: The Records with these keys, as incremental resolution reads them: their properties that resolution compares, whether it is deleted in the system of record (resolution then detaches it) and the blocking keys they are linked to; their links come from resolve/record_links, their Customer and verdicts from resolve/record_state.
// example: {"keys": ["crm:EX1", "crm:org:example"]}
UNWIND $keys AS k
MATCH (r:Record {key: k})
RETURN r.key AS key, r.kind AS kind, r.source AS source, r.ingested_at AS ingested_at,
  r.name AS name, r.name_folded AS name_folded, r.given_name AS given_name,
  r.family_name AS family_name, r.dob AS dob, r.parish AS parish, r.city AS city,
  r.company AS company, r.company_key AS company_key, r.owner AS owner, r.rep AS rep,
  coalesce(r.deleted, false) AS deleted,
  [(r)-[:BLOCKED_BY]->(bk) | bk.key] AS blocks
