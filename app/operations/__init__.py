"""What an operator runs: backup and restore (``backup``), the self-check (``check``)."""
