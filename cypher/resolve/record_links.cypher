// doc: What the Records with these keys link to, one row per link: (key, field, value) with field one of emails, phones, addresses, handles, websites, employers (the company key of the business a person works at), staff_emails (a business's staff's emails), followed (the company key of a business whose social handle it follows). Read in bulk per relationship type, as resolve/record_links_window does by node ids: incremental resolution reads its candidates' links with it.
// example: {"keys": ["crm:EX1", "crm:org:example"]}
UNWIND $keys AS k
MATCH (r:Record {key: k})-[:HAS_EMAIL]->(x:Email)
RETURN r.key AS key, 'emails' AS field, x.value AS value
UNION ALL
UNWIND $keys AS k
MATCH (r:Record {key: k})-[:HAS_PHONE]->(x:Phone)
RETURN r.key AS key, 'phones' AS field, x.e164 AS value
UNION ALL
UNWIND $keys AS k
MATCH (r:Record {key: k})-[:LOCATED_AT]->(x:Address)
RETURN r.key AS key, 'addresses' AS field, x.key AS value
UNION ALL
UNWIND $keys AS k
MATCH (r:Record {key: k})-[:HAS_HANDLE]->(x:Handle)
RETURN r.key AS key, 'handles' AS field, x.key AS value
UNION ALL
UNWIND $keys AS k
MATCH (r:Record {key: k})-[:HAS_WEBSITE]->(x:Website)
RETURN r.key AS key, 'websites' AS field, x.domain AS value
UNION ALL
UNWIND $keys AS k
MATCH (r:Record {key: k})-[:WORKS_AT]->(x:Record)
RETURN r.key AS key, 'employers' AS field, x.company_key AS value
UNION ALL
UNWIND $keys AS k
MATCH (r:Record {key: k})<-[:WORKS_AT]-(:Record)-[:HAS_EMAIL]->(x:Email)
RETURN r.key AS key, 'staff_emails' AS field, x.value AS value
UNION ALL
UNWIND $keys AS k
MATCH (r:Record {key: k})
UNWIND coalesce(r.follows, []) AS handle
MATCH (h:Handle {key: handle})
WITH r, h
MATCH (h)<-[:HAS_HANDLE]-(x:Record)
WHERE x.kind = 'business'
RETURN r.key AS key, 'followed' AS field, x.company_key AS value
