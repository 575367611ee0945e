"""Service b's own policy: always 6 tasks. Service a has a file of the same name that wants another count."""


class Fixed:
    def desired_capacity(self, obs):
        return 6
