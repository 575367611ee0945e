"""The figures: matplotlib Figures built on the Agg canvas, never pyplot.

    overview      one run at a glance (Result.plot): traffic, tasks, latency, CPU and memory,
                  errors and the SLO, with the run's events in a lane above the panels
    events        that lane: faults, scaling, actions, deployments and job starts
    alarms        the metric step scaling's alarms watched, with their thresholds
    comparison    a comparison of variants over seeds (Comparison.plot)
    cost          a cost comparison across platforms (CostComparison.plot)
    axes          tick formats the figures share: clock time, SI counts, latency in ms

Figures read results; nothing here runs a simulation.
"""
