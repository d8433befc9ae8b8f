"""Notes NLP (issue 6): people, businesses, places, phones, emails, referral phrases and
sentiment in interaction notes and social texts, written back as candidate edges."""
