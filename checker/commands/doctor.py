"""``python -m checker doctor``: is this machine ready for the workshop?"""

from __future__ import annotations

import argparse


def run(argv: list[str]) -> int:
    from checker import doctor

    argparse.ArgumentParser(prog="python -m checker doctor",
                            description="Check that this machine is ready for the workshop.").parse_args(argv)
    return doctor.run()
