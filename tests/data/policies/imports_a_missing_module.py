"""A policy module whose import fails inside the user's own file."""
import fargatesim_no_such_module  # noqa: F401


class Policy:
    def desired_capacity(self, obs):
        return 1
