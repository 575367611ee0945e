"""Studies: many runs of a scenario, and what they say together.

    compare       variants over seeds on common random numbers (fargatesim.compare)
    cost          one workload priced on every platform, SLO beside each price
                  (fargatesim.cost_comparison); cost_text prints its table
    validation    experiments against AWS's published measurements

A study builds scenarios, runs them with the engine and tabulates their Results; its figures
are in fargatesim.plots.
"""
