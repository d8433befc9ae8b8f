// doc: Record on each Record what the notes pipeline made of its text: the hash it analysed (what a later run compares), status (ok, empty, not_english, invalid), language, sentiment and its score, the mentions as LABEL:text, the referral pairs written from it (customer>customer), the model and when.
// writes: true
// example: {"rows": [{"key": "crm:EX1", "hash": "h", "status": "ok", "language": "en", "sentiment": "neutral", "score": 0.0, "mentions": ["PERSON:Jane Brown"], "referred": [], "problem": null, "model": "rules", "at": 1}]}
UNWIND $rows AS row
MATCH (t:Record {key: row.key})
SET t.nlp_hash = row.hash, t.nlp_status = row.status, t.nlp_language = row.language,
    t.nlp_sentiment = row.sentiment, t.nlp_sentiment_score = row.score, t.nlp_mentions = row.mentions,
    t.nlp_referred = row.referred, t.nlp_problem = row.problem, t.nlp_model = row.model, t.nlp_at = row.at
RETURN count(t) AS written
