"""The audit trail as people read it: its page and API, each row in words with the names of the
things it is about. It reads every feature's tables (for names only), so it sits above them;
``app.audit`` below the features only records.
"""
