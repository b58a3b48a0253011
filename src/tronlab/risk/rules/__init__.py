"""Pre-trade rules, one module each (see :mod:`tronlab.risk.context` for the interface)."""
