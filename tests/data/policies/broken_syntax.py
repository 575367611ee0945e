"""Parses, but does not compile: `return` outside a function."""


class Policy:
    def desired_capacity(self, obs):
        return 1


return 2
