"""One module per sub-command of ``python -m checker``, each with ``run(argv) -> exit code``."""
