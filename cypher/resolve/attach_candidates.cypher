// doc: Incremental resolution of arriving Records in one round trip: link each to its new blocking keys, then return its candidates (other Records of the same kind, not deleted in the system of record, that share an identifier or a blocking key with it; identifiers shared by more live Records than the hub limit of their kind, $caps, are weak evidence and generate none; so are spelled-name keys shared by more than $caps.spelled, namesakes all, and web-domain keys, `bw:`, by more than $caps.website) once per candidate, with the keys of the arriving records it is a candidate of as `arriving`, and its own properties that resolution compares: what it links to comes from resolve/record_links (read in bulk per relationship type, which took the statement's time from 0.34 s to 0.19 s for 350 arriving records), and no Customer, verdicts or blocking keys: most candidates are not linked, and those that are get read whole by resolve/component_records.
// writes: true
// example: {"rows": [{"key": "crm:EX1", "blocks": ["pn:XMPL|a"]}], "caps": {"email": 5, "phone": 5, "address": 5, "handle": 5, "website": 5, "block": 50, "spelled": 10}}
UNWIND $rows AS row
MATCH (n:Record {key: row.key})
WHERE NOT coalesce(n.deleted, false)
FOREACH (k IN row.blocks | MERGE (b:BlockKey {key: k}) MERGE (n)-[:BLOCKED_BY]->(b))
WITH DISTINCT n
MATCH (n)-[:HAS_EMAIL|HAS_PHONE|LOCATED_AT|HAS_HANDLE|HAS_WEBSITE|BLOCKED_BY]->(x)<-[:HAS_EMAIL|HAS_PHONE|LOCATED_AT|HAS_HANDLE|HAS_WEBSITE|BLOCKED_BY]-(o:Record)
WHERE NOT coalesce(o.deleted, false)
WITH n, x, collect(DISTINCT o) AS sharing,
  CASE
    WHEN x:Email THEN $caps.email
    WHEN x:Phone THEN $caps.phone
    WHEN x:Address THEN $caps.address
    WHEN x:Handle THEN $caps.handle
    WHEN x:Website THEN $caps.website
    WHEN x.key STARTS WITH 'psp:' THEN coalesce($caps.spelled, $caps.block)
    WHEN x.key STARTS WITH 'bw:' THEN $caps.website
    ELSE $caps.block
  END AS cap
// The live records on x, the arriving one included (FalkorDB's match returns it, Neo4j's,
// which never uses one relationship twice, does not). One collect, not a count per x and
// a second expansion: ~30% of the statement's time.
WHERE size(sharing) + CASE WHEN n IN sharing THEN 0 ELSE 1 END <= cap
UNWIND sharing AS r
WITH n, r
WHERE r.kind = n.kind AND r.key <> n.key
WITH DISTINCT n.key AS arriving, r
WITH r, collect(arriving) AS arriving
RETURN arriving, r.key AS key, r.kind AS kind, r.source AS source, r.ingested_at AS ingested_at,
  r.name AS name, r.name_folded AS name_folded, r.given_name AS given_name,
  r.family_name AS family_name, r.dob AS dob, r.parish AS parish, r.city AS city,
  r.company AS company, r.company_key AS company_key, r.owner AS owner, r.rep AS rep
