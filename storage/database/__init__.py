"""The database: SQLModel tables, the engine and sessions, and Alembic migrations."""
