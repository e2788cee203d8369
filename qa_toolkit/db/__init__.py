"""The store: SQLModel tables, the engine (SQLite by default, PostgreSQL by URL) and crud functions."""
