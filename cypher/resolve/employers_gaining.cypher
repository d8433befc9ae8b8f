// doc: The business Records that the person Records with these keys work at, with the parts of the business's web domains: its web sites, its own emails, the emails of its other staff, and those of these persons. A business's domains include its staff's work-email domains (staff_emails), so when an arriving contact brings its employer a domain the employer did not have, incremental resolution scores the employer again, as a full run would.
// example: {"keys": ["crm:EX1"]}
UNWIND $keys AS k
MATCH (p:Record {key: k})
WHERE p.kind = 'person'
// The WITH keeps FalkorDB at the key index: it started at the index on `kind`, every
// business record, 3.5 ms for one arriving person at 2,000 people.
WITH p
MATCH (p)-[:WORKS_AT]->(b:Record)
WHERE b.kind = 'business' AND NOT coalesce(b.deleted, false)
WITH b, collect(DISTINCT p.key) AS arriving
// Each comprehension its own variable names: with `e` in two of them FalkorDB 4.x
// returned empty lists.
RETURN b.key AS key,
  [(b)-[:HAS_WEBSITE]->(w:Website) | w.domain] AS websites,
  [(b)-[:HAS_EMAIL]->(own:Email) | own.value] AS emails,
  [(b)<-[:WORKS_AT]-(s:Record)-[:HAS_EMAIL]->(se:Email) WHERE NOT s.key IN arriving | se.value] AS staff_emails,
  [(b)<-[:WORKS_AT]-(a:Record)-[:HAS_EMAIL]->(ae:Email) WHERE a.key IN arriving | ae.value] AS arriving_emails
ORDER BY key
