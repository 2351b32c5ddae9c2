"""``python -m transfer_engine`` is the same as ``transfer-engine``."""

from transfer_engine.cli import main

main()
