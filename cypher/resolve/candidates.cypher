// doc: Candidate matches of these Records: other Records of the same kind that share an identifier or a blocking key with them. Identifiers shared by more Records than the hub limit of their kind ($caps) are weak evidence and generate no candidates.
// example: {"keys": ["crm:EX1"], "caps": {"email": 5, "phone": 5, "address": 5, "handle": 5, "website": 5, "block": 50}}
UNWIND $keys AS k
MATCH (r:Record {key: k})-[:HAS_EMAIL|HAS_PHONE|LOCATED_AT|HAS_HANDLE|HAS_WEBSITE|BLOCKED_BY]->(x)
WITH r, x, size([(x)<-[:HAS_EMAIL|HAS_PHONE|LOCATED_AT|HAS_HANDLE|HAS_WEBSITE|BLOCKED_BY]-(o:Record) | o]) AS degree,
  CASE
    WHEN x:Email THEN $caps.email
    WHEN x:Phone THEN $caps.phone
    WHEN x:Address THEN $caps.address
    WHEN x:Handle THEN $caps.handle
    WHEN x:Website THEN $caps.website
    ELSE $caps.block
  END AS cap
WHERE degree <= cap
MATCH (x)<-[:HAS_EMAIL|HAS_PHONE|LOCATED_AT|HAS_HANDLE|HAS_WEBSITE|BLOCKED_BY]-(c:Record)
WHERE c.kind = r.kind AND c.key <> r.key
RETURN DISTINCT r.key AS key, c.key AS candidate
