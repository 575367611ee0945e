"""Writes a file named `ran` beside itself when its module runs: a check that must not run it
(validate) leaves no such file."""
from pathlib import Path

Path(__file__).with_name("ran").write_text("this module ran\n")


class Policy:
    def desired_capacity(self, obs):
        return 2
