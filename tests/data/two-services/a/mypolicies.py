"""Service a's own policy: always 2 tasks. Service b has a file of the same name that wants another count."""


class Fixed:
    def desired_capacity(self, obs):
        return 2
