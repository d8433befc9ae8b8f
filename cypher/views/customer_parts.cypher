// doc: The parts of the 360 view of each of $ids, in one statement: the source records with their lineage and identifiers as [kind, value] pairs ($records), related customers (the $employers and $staff linked by WORKS_AT between their records, and the direct $relationships both ways), the newest $interactions interactions and $transactions transactions with how many there are, and the open and acknowledged alerts ($alerts), newest first. A part not asked for (false, or a limit of 0) comes back empty and costs only its subquery's fixed ~15-20 us.
// example: {"ids": ["C0000000000000"], "records": true, "employers": true, "staff": true, "relationships": true, "interactions": 20, "transactions": 20, "alerts": true}
// One statement, not one per part: a 360 view costs one round trip, and FalkorDB's fixed
// cost per query is paid once (2,000-people graph: 0.72 ms of server CPU a view, against
// 1.28 ms for five statements). Each part is a subquery over `on`, which is the customer
// when the part is asked for and no row otherwise: FalkorDB drops the outer row when a
// subquery filters with `WITH c WHERE $flag`, while an empty UNWIND aggregates to [].
// FalkorDB's cost here is mostly per traversal, not per edge (~20-35 us each, even when
// it finds nothing), and one over several relationship types costs more than several
// over one: a record's identifiers are one untyped traversal filtered by type, tagged
// with their kind (`CustomerService` sorts them into lists), and so are the
// relationships (20,000-people graph, the same rows: the statement's operators 0.63 ->
// 0.39 ms a view).
UNWIND $ids AS id
MATCH (c:Customer {id: id})
CALL {
  WITH c
  UNWIND CASE WHEN $records THEN [c] ELSE [] END AS on
  MATCH (r:Record)-[l:RESOLVES_TO]->(on)
  WITH on, r, l ORDER BY r.key
  RETURN collect({id: on.id, record: r {.*}, confidence: l.confidence, rule: l.rule,
                  identifiers: [(r)-[e]->(n)
                    WHERE type(e) IN ['HAS_EMAIL', 'HAS_PHONE', 'LOCATED_AT', 'HAS_HANDLE', 'HAS_WEBSITE'] |
                    CASE type(e) WHEN 'HAS_EMAIL' THEN ['emails', n.value]
                      WHEN 'HAS_PHONE' THEN ['phones', n.e164]
                      WHEN 'LOCATED_AT' THEN ['addresses', n {.*}]
                      WHEN 'HAS_HANDLE' THEN ['handles', n.key]
                      ELSE ['websites', n.domain] END]}) AS records
}
CALL {
  WITH c
  UNWIND CASE WHEN $employers THEN [c] ELSE [] END AS on
  MATCH (on)<-[:RESOLVES_TO]-(:Record)-[:WORKS_AT]->(:Record)-[:RESOLVES_TO]->(x:Customer)
  RETURN collect(DISTINCT x {.id, .name, .kind}) AS employers
}
CALL {
  WITH c
  UNWIND CASE WHEN $staff THEN [c] ELSE [] END AS on
  MATCH (on)<-[:RESOLVES_TO]-(:Record)<-[:WORKS_AT]-(:Record)-[:RESOLVES_TO]->(x:Customer)
  RETURN collect(DISTINCT x {.id, .name, .kind}) AS staff
}
CALL {
  WITH c
  UNWIND CASE WHEN $relationships THEN [c] ELSE [] END AS on
  MATCH (on)-[rel]->(x:Customer)
  WHERE type(rel) IN ['REFERRED', 'KNOWS', 'HOUSEHOLD', 'COLLEAGUE', 'CO_ATTENDED', 'FOLLOWS']
  RETURN collect({type: type(rel), other: x {.id, .name, .kind}, strength: rel.strength,
                  evidence: rel.evidence}) AS outgoing
}
CALL {
  WITH c
  UNWIND CASE WHEN $relationships THEN [c] ELSE [] END AS on
  MATCH (on)<-[rel]-(x:Customer)
  WHERE type(rel) IN ['REFERRED', 'KNOWS', 'HOUSEHOLD', 'COLLEAGUE', 'CO_ATTENDED', 'FOLLOWS']
  RETURN collect({type: type(rel), other: x {.id, .name, .kind}, strength: rel.strength,
                  evidence: rel.evidence}) AS incoming
}
CALL {
  WITH c
  UNWIND CASE WHEN $interactions > 0 THEN [c] ELSE [] END AS on
  MATCH (on)<-[:RESOLVES_TO]-(:Record)-[:HAS_INTERACTION]->(i:Interaction)
  WITH i ORDER BY i.occurred_at DESC, i.key
  WITH collect(i {.*}) AS items
  RETURN items[0..$interactions] AS interactions, size(items) AS interactions_total
}
CALL {
  WITH c
  UNWIND CASE WHEN $transactions > 0 THEN [c] ELSE [] END AS on
  MATCH (on)<-[:RESOLVES_TO]-(:Record)-[:HAS_TRANSACTION]->(t:Transaction)
  WITH t ORDER BY t.date DESC, t.key
  WITH collect(t {.*}) AS items
  RETURN items[0..$transactions] AS transactions, size(items) AS transactions_total
}
CALL {
  WITH c
  UNWIND CASE WHEN $alerts THEN [c] ELSE [] END AS on
  MATCH (on)<-[:ABOUT]-(a:Alert)
  WHERE a.status <> 'closed'
  WITH a ORDER BY a.at DESC
  RETURN collect(a {.*}) AS alerts
}
RETURN id, c {.*} AS customer, records, employers, staff, outgoing, incoming,
       interactions, interactions_total, transactions, transactions_total, alerts
