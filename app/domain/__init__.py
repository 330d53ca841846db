"""The domain rules, plain Python: no database, no web (the ground every capability stands on)."""
