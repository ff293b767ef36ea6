"""One-command releases: every stage composed, atomic, resumable and idempotent, with a manifest."""
