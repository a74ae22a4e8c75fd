"""Persistence: SQLModel tables, the async engine, queries and Alembic migrations."""
