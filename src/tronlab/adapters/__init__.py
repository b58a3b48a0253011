"""Broker and data adapters, one package each (interfaces.md section 7)."""
