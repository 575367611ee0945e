"""Task start and stop timings that AWS does not document, named once.

The scenario's task_definition.startup distribution is the whole PROVISIONING..RUNNING time;
it is split between ENI provisioning and image pull plus container start as below. Billing
starts with the image pull, i.e. when the task enters PENDING.
"""

PROVISIONING_SHARE = 0.3     # of the sampled start-up time spent attaching the ENI
ACTIVATING_S = 0.0           # registration with a single target group happens at RUNNING
DEPROVISIONING_S = 5.0       # ENI detach after the containers stop; billed until STOPPED
# How long a steady-state task at t = 0 has been running: long enough to be past any grace
# period or slow start.
STEADY_STATE_AGE_S = 86400.0
