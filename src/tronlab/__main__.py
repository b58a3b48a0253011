"""``python -m tronlab`` is the same as the ``tronlab`` command."""

from tronlab.cli.app import main

main()
