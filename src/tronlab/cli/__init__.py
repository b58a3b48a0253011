"""The ``tronlab`` command line (Typer)."""
