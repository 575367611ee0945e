"""fargatesim: a discrete-event simulator of Amazon ECS services on AWS Fargate.

    import fargatesim
    s = fargatesim.load_scenario("example:steady-web-api")   # or a file of yours
    r = fargatesim.simulate(s)
    r.summary, r.timeseries, r.events, r.plot()
"""
from importlib import import_module

__version__ = "0.1.0"

# Imported on first use, so that `import fargatesim.scenario` (and the command line's start)
# does not pay for the engine, pandas and matplotlib.
_EXPORTS = {
    "Result": ".results",
    "Scenario": ".scenario",
    "ScenarioError": ".scenario",
    "load_scenario": ".scenario",
    "Simulation": ".engine",
    "SimulationError": ".errors",
    "simulate": ".engine",
    "compare": ".studies.compare",
    "calibrate": ".studies.calibrate",
    "backtest": ".studies.backtest",
    "cost_comparison": ".studies.cost",
    "tune": ".studies.tune",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module 'fargatesim' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
