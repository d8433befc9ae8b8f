// doc: Move the stored first purchase and last activity (resolve/refresh_activity) of the Customers of the Records in $rows by activity new to the graph: each row is a new activity's record key, its day, and whether it is a purchase. New activity only moves them earlier or later, so this reads none of the activity already there; a changed or moved activity needs resolve/refresh_activity.
// writes: true
// example: {"rows": [{"key": "crm:EX1", "day": "2025-06-30", "bought": true}]}
UNWIND $rows AS row
MATCH (:Record {key: row.key})-[:RESOLVES_TO]->(c:Customer)
WITH c, min(CASE WHEN row.bought THEN row.day END) AS bought, max(row.day) AS day
SET c.first_bought = CASE WHEN c.first_bought IS NULL OR bought < c.first_bought
      THEN coalesce(bought, c.first_bought) ELSE c.first_bought END,
    c.last_active = CASE WHEN c.last_active IS NULL OR day > c.last_active
      THEN coalesce(day, c.last_active) ELSE c.last_active END
RETURN count(c) AS extended
