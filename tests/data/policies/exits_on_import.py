"""A policy module that ends the program as it is imported."""
import sys

sys.exit(0)


class Policy:
    def desired_capacity(self, obs):
        return 1
