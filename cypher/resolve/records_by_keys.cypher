// doc: The Records with these keys, with everything identity resolution compares (followed: the company keys of the businesses whose social handles it follows), whether they are deleted in the system of record, and their current Customer.
// example: {"keys": ["crm:EX1", "crm:org:example"]}
UNWIND $keys AS k
MATCH (r:Record {key: k})
// Names inside CALL are its own (FalkorDB 4.16 let a `b` here bind the `b` of a pattern
// comprehension below: every employer was lost).
CALL {
  WITH r
  UNWIND coalesce(r.follows, []) AS handle
  MATCH (fh:Handle {key: handle})
  WITH fh
  MATCH (fh)<-[:HAS_HANDLE]-(followed_business:Record)
  WHERE followed_business.kind = 'business'
  RETURN collect(DISTINCT followed_business.company_key) AS followed
}
RETURN r.key AS key, r.kind AS kind, r.source AS source, r.ingested_at AS ingested_at,
  r.name AS name, r.name_folded AS name_folded, r.given_name AS given_name,
  r.family_name AS family_name, r.dob AS dob, r.parish AS parish, r.city AS city,
  r.company AS company, r.company_key AS company_key, r.owner AS owner, r.rep AS rep,
  coalesce(r.deleted, false) AS deleted,
  [(r)-[:HAS_EMAIL]->(e:Email) | e.value] AS emails,
  [(r)-[:HAS_PHONE]->(p:Phone) | p.e164] AS phones,
  [(r)-[:LOCATED_AT]->(a:Address) | a.key] AS addresses,
  [(r)-[:HAS_HANDLE]->(h:Handle) | h.key] AS handles,
  [(r)-[:HAS_WEBSITE]->(w:Website) | w.domain] AS websites,
  [(r)-[:WORKS_AT]->(b:Record) | b.company_key] AS employers,
  [(r)<-[:WORKS_AT]-(:Record)-[:HAS_EMAIL]->(se:Email) | se.value] AS staff_emails,
  [(r)-[:RESOLVES_TO]->(c:Customer) | c.id] AS customers,
  [(r)-[:BLOCKED_BY]->(bk:BlockKey) | bk.key] AS blocks, followed
