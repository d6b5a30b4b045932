"""The example's tests: run with ``safepip run python -m unittest`` (see the Makefile)."""

from __future__ import annotations

import os
import sys
import unittest

import versions


class NewestTest(unittest.TestCase):
    def test_pep440_order(self) -> None:
        self.assertEqual(versions.newest(["1.9", "1.10", "1.10rc1"]), "1.10")

    def test_runs_in_the_environment(self) -> None:
        # safepip run sets VIRTUAL_ENV when the environment is a venv, and puts its bin first.
        if os.environ.get("VIRTUAL_ENV"):
            self.assertEqual(os.path.realpath(sys.prefix), os.path.realpath(os.environ["VIRTUAL_ENV"]))


if __name__ == "__main__":
    unittest.main()
