// doc: Every dated interaction and transaction of the active customers (through their records): the customer, whether it is a purchase, its date, amount and currency.
// example: {}
MATCH (c:Customer {status: 'active'})<-[:RESOLVES_TO]-(:Record)-[h:HAS_INTERACTION|HAS_TRANSACTION]->(a)
WHERE a.date IS NOT NULL
RETURN c.id AS id, type(h) = 'HAS_TRANSACTION' AS purchase, a.date AS date, a.amount AS amount,
       a.currency AS currency
