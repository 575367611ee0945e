"""Asks for `tasks` tasks, always; counts the module's runs in a global, which a fresh module
starts again at 0."""
RUNS = 0


class Fixed:
    def __init__(self, tasks=2):
        global RUNS
        RUNS += 1
        self.tasks = tasks * RUNS     # a second creation in the same module would ask for more

    def desired_capacity(self, obs):
        return self.tasks
