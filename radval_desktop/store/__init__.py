"""SQLite storage: the history of drafts (and, later, reader studies)."""
