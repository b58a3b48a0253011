"""Alembic migrations of the tronlab schema (run them with :mod:`tronlab.storage.migrate`)."""
