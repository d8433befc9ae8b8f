// doc: The customer-to-customer relationships written by the given sources ('derived', 'referral'): what the mapper compares its new derivation with.
// example: {"sources": ["derived", "referral"]}
MATCH (a:Customer)-[e:REFERRED|KNOWS|HOUSEHOLD|COLLEAGUE|CO_ATTENDED|FOLLOWS]->(b:Customer)
WHERE e.source IN $sources
RETURN type(e) AS type, a.id AS a, b.id AS b, e.source AS source, e.strength AS strength, e.evidence AS evidence
