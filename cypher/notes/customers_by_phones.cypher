// doc: For each phone number (E.164) mentioned in notes, the active customers whose records hold it.
// example: {"values": ["+18765550000"]}
UNWIND $values AS value
MATCH (:Phone {e164: value})<-[:HAS_PHONE]-(:Record)-[:RESOLVES_TO]->(c:Customer {status: 'active'})
RETURN value, collect(DISTINCT c.id) AS customers
