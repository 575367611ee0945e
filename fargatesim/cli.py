"""The `fargatesim` command."""
from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

DESCRIPTION = """\
Simulate an Amazon ECS service on AWS Fargate behind an Application Load Balancer:
tasks and their lifecycle, health checks, deregistration delay, slow start, Application Auto
Scaling (target tracking, step, scheduled and your own policies), traffic, latency, errors and
cost, from a scenario file (YAML). Start from an example (`fargatesim examples` lists them, each
with the question it answers) or from `fargatesim init`; every key with its default and meaning:
`fargatesim examples reference`.

examples:
  fargatesim examples                          (the example scenarios; example:NAME runs one)
  fargatesim run example:steady-web-api -o results/steady
  fargatesim run example:diurnal-flash-crowd --seed 7 --duration 6h --json
  fargatesim run example:checkout-api --set autoscaling.min_capacity=16
  fargatesim compare example:spike-5x-standard-metrics example:spike-5x-high-resolution-metrics \
      --seeds 5 --jobs 2
  fargatesim cost example:steady-high-traffic -o results/steady-cost
  fargatesim examples checkout-api -o my-service/   (a copy to edit, with the traces it replays)
  fargatesim init -o my-service.yaml           (a commented starter scenario)
  fargatesim validate my-service.yaml
  fargatesim import aws exports/ -o my-service.yaml   (from your service's AWS CLI outputs)
  fargatesim calibrate my-service.yaml --records rec/ -o calibrated.yaml
  fargatesim schema -o scenario.schema.json     (for editors: completion and checks of keys)

exit codes: 0 ok, 1 the simulation failed or its results could not be written, 2 bad input
(one message on stderr), 130 / 143 / 129 interrupted by SIGINT (Ctrl-C) / SIGTERM / SIGHUP.
"""
# How long --dask waits for its scheduler: to connect, and for it to say it is one.
DASK_TIMEOUT_S = 10.0


class InputError(ValueError):
    """Bad input that is not in a scenario file (an option's value): exit code 2, one line."""


class Interrupted(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP arrived: the command unwinds (temporary files removed, worker
    processes ended) and exits with 128 + the signal's number, as a shell reports it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit code 2 is kept, with our wording
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"fargatesim: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="fargatesim", description=DESCRIPTION,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    run = sub.add_parser("run", help="run a scenario and write its results",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Run SCENARIO and write summary.json, timeseries.csv, "
                                     "events.csv and overview.png into DIR.\n\n"
                                     "timeseries.csv has one row per 60 s period (per data-plane "
                                     "tick with --resolution tick);\nevents.csv lists every task, "
                                     "target, fault and scaling event with its time.",
                         epilog=RUN_EXAMPLES)
    run.add_argument("scenario", metavar="SCENARIO", help=SCENARIO_HELP)
    _add_trust_option(run)
    run.add_argument("-o", "--output", metavar="DIR",
                     help="where to write the results (default: results/<scenario name>)")
    run.add_argument("--seed", type=int, help="override the scenario's seed")
    run.add_argument("--engine", choices=("fluid", "requests"),
                     help="data plane: fluid (fast, default) or requests (every request on its own: "
                          "exact latency percentiles, slower at high rates)")
    run.add_argument("--duration", metavar="D", help='override the simulated time, e.g. "6h", "90m", 3600')
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="sets",
                     help="change one key of the scenario, e.g. --set autoscaling.min_capacity=4 "
                          "or --set 'traffic[0].diurnal.mean_rps=250' (VALUE is read as YAML; repeatable)")
    run.add_argument("--json", action="store_true", help="print summary.json to stdout instead of the short summary")
    run.add_argument("--resolution", choices=("period", "tick"), default="period",
                     help="rows of timeseries.csv: one per 60 s period (default) or one per tick")
    run.add_argument("--no-plot", action="store_true", help="skip overview.png (faster)")
    run.add_argument("--records", metavar="DIR",
                     help="also write what AWS would have recorded into DIR, in AWS's formats: "
                          "get-metric-data.json, describe-tasks.json and, with --engine requests, "
                          "alb-access.log.gz (one access log line per request)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    val = sub.add_parser("validate", help="check a scenario file and say what is wrong",
                         description="Load SCENARIO, fill in defaults and check every key; "
                                     "exit 0 when it is valid, 2 with one clear message when not.")
    val.add_argument("scenario", metavar="SCENARIO", help=SCENARIO_HELP)
    _add_trust_option(val)

    cmp_ = sub.add_parser(
        "compare", help="run scenarios over many seeds on the same traffic and compare them",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=COMPARE_DESCRIPTION,
        allow_abbrev=False)                  # "--see 3" must not become --seeds with file "3"
    cmp_.__class__ = _CompareParser          # add_parser makes a _Parser; this one orders arguments
    cmp_.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                      help="scenario files (YAML), or example:NAME for the examples shipped with fargatesim; "
                           "the same file may be given more than once")
    _add_trust_option(cmp_)
    cmp_.add_argument("--seeds", type=_positive_int, default=None, metavar="N",
                      help="runs per scenario, with seeds FIRST..FIRST+N-1 (default 5)")
    cmp_.add_argument("--first-seed", type=_non_negative_int, default=0, metavar="FIRST",
                      help="the first seed (default 0); the files' own seed keys are ignored")
    cmp_.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="sets",
                      help="change one key: of the SCENARIO it follows, or of every scenario when "
                           "given before the first (VALUE is read as YAML; repeatable)")
    cmp_.add_argument("--file-set", action="append", default=[], dest="file_sets",
                      help=argparse.SUPPRESS)   # what _CompareParser makes of a --set after a file
    cmp_.add_argument("--duration", metavar="D", help='override every scenario\'s simulated time, e.g. "40m"')
    _add_run_options(cmp_, "where to write runs.csv, table.csv and compare.png (default: results/compare)",
                     "compare.png")
    cmp_.add_argument("--dask", metavar="ADDRESS",
                      help="run on the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://10.0.0.5:8786; "
                           "its workers need fargatesim installed) instead of local processes; "
                           "the results do not depend on it")

    tune = sub.add_parser(
        "tune", help="search scaling settings for the cheapest that meets the SLO (Optuna, local or Dask)",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=TUNE_DESCRIPTION, allow_abbrev=False)
    tune.add_argument("scenario", metavar="SCENARIO",
                      help="the starting scenario (YAML, or example:NAME); it must set an slo")
    tune.add_argument("--space", required=True, metavar="SPACE",
                      help="the keys to search and their ranges (YAML, or example:spaces/NAME; see above)")
    _add_trust_option(tune)
    tune.add_argument("--seeds", type=_positive_int, default=3, metavar="N",
                      help="runs per trial, seeds FIRST..FIRST+N-1, the same for every trial (default 3)")
    tune.add_argument("--first-seed", type=_non_negative_int, default=0, metavar="FIRST",
                      help="the first seed (default 0)")
    tune.add_argument("--trials", type=_positive_int, default=50, metavar="N", help="trials to run (default 50)")
    tune.add_argument("--timeout", metavar="D", help='start no new trials after this long, e.g. "30m" or 600')
    tune.add_argument("--objective", choices=("cost", "pareto"),
                      help="cost: the cheapest meeting the SLO (TPE); pareto: cost and minutes outside the SLO "
                           "(NSGA-II); default: the SPACE file's, else cost")
    tune.add_argument("--slo-share", type=_share, metavar="X",
                      help="the share of seeds on which the SLO must be met (default: the SPACE file's, else 1)")
    tune.add_argument("--validate-seeds", type=_non_negative_int, default=0, metavar="N",
                      help="run the starting and the best configuration on N more seeds, not tuned on")
    tune.add_argument("--resume", action="store_true",
                      help="continue the tune kept in DIR (its finished trials are kept, not run again)")
    tune.add_argument("--sampler-seed", type=_non_negative_int, default=0, metavar="N",
                      help="seeds Optuna's sampler (default 0): the same seed, the same trials")
    tune.add_argument("--storage", metavar="URL",
                      help="where trials are kept: an Optuna RDB URL (sqlite:///tune.db) or a journal file "
                           "(default DIR/tune.journal)")
    tune.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="sets",
                      help="change one key of the starting scenario first (VALUE is read as YAML; repeatable)")
    tune.add_argument("--duration", metavar="D", help='override the simulated time, e.g. "6h"')
    _add_run_options(tune, "where to write the results and keep the trials (default: results/<name>-tune)",
                     "front.png and parameters.png")
    for action in tune._actions:
        if action.dest == "jobs":
            action.help = ("runs at once, in local processes (default 1; 0: one per CPU); trials run in batches of "
                           "N // seeds: a trial's figures do not depend on N, and with one trial a batch neither do "
                           "the trials drawn")
    tune.add_argument("--dask", metavar="ADDRESS",
                      help="run on the Dask cluster whose scheduler is at ADDRESS instead of local processes, in "
                           "batches of its threads // seeds trials; a lost worker's run is run again")

    cost = sub.add_parser(
        "cost", help="price the same workload on Fargate, Fargate Spot, EC2 and Lambda, with the SLO beside each",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=COST_DESCRIPTION, allow_abbrev=False)
    cost.add_argument("scenario", metavar="SCENARIO", help=SCENARIO_HELP)
    _add_trust_option(cost)
    cost.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="sets",
                      help="change one key of the scenario first (VALUE is read as YAML; repeatable)")
    cost.add_argument("--seeds", type=_positive_int, default=1, metavar="N",
                      help="runs per platform, with the scenario's seed and the N-1 after it (default 1)")
    cost.add_argument("--duration", metavar="D", help='override the simulated time, e.g. "6h"')
    cost.add_argument("--instance-types", metavar="TYPES", type=_names,
                      help="EC2 instance types to try, comma-separated (default: every priced type that "
                           "has the task's architecture and room for a task, burstable t3 left out)")
    cost.add_argument("--spot-interruptions", type=_non_negative_float, metavar="RATE",
                      help="interruptions per running Spot task-hour for the Spot mix when the scenario has "
                           f"no spot_interruption fault (default {DEFAULT_SPOT_RATE:g}; AWS publishes none)")
    _add_run_options(cost, "where to write cost.csv and cost.png (default: results/<scenario name>-cost)",
                     "cost.png")

    cal = sub.add_parser(
        "calibrate", help="fit a scenario's traffic and workload to what the service recorded",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=CALIBRATE_DESCRIPTION)
    cal.add_argument("scenario", metavar="SCENARIO", help="scenario file (YAML), e.g. one `fargatesim import` wrote")
    cal.add_argument("--records", metavar="DIR", required=True,
                     help="a folder of records: get-metric-data and describe-tasks JSON, ALB or Common Log Format "
                          "access logs (each recognised by its content)")
    cal.add_argument("-o", "--output", metavar="FILE", required=True,
                     help="the calibrated scenario (NAME.yaml); its traffic trace is written beside it as "
                          "NAME-traffic.csv")
    _add_trust_option(cal)

    bt = sub.add_parser(
        "backtest", help="run a scenario over a service's recorded period and compare it with the records",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=BACKTEST_DESCRIPTION)
    bt.add_argument("scenario", metavar="SCENARIO", help="scenario file (YAML), e.g. one `fargatesim calibrate` wrote")
    bt.add_argument("--records", metavar="DIR", required=True, help="the folder of records (get-metric-data output)")
    bt.add_argument("-o", "--output", metavar="DIR", required=True,
                    help="where to write backtest.json, backtest.csv and backtest.png")
    _add_trust_option(bt)

    from .importing.command import add_parser as add_import_parser
    add_import_parser(sub, _Parser, argparse.RawDescriptionHelpFormatter)

    examples = sub.add_parser(
        "examples", help="list the example scenarios shipped with fargatesim; print one, or copy it to edit",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=EXAMPLES_DESCRIPTION)
    examples.add_argument("name", nargs="?", metavar="NAME",
                          help="an example's name (a scenario's, spaces/NAME, reference or traces)")
    examples.add_argument("-o", "--output", metavar="DIR",
                          help="copy the example, and the files it reads, into DIR (made if missing)")
    examples.add_argument("--force", action="store_true",
                          help="replace files in DIR that differ from the example's (by default they are kept "
                               "and nothing is copied)")

    init = sub.add_parser(
        "init", help="write a commented starter scenario (or one from your service's AWS or Terraform settings)",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=INIT_DESCRIPTION)
    init.add_argument("-o", "--output", metavar="FILE", help="write the scenario to FILE (default: standard output)")
    init.add_argument("--name", type=_scenario_name,
                      help="the scenario's name, which names its default output folder (default: FILE's name "
                           "without .yaml, else my-service)")
    init.add_argument("--from-import", nargs=2, metavar=("{aws,terraform}", "SOURCE"),
                      help="start from your service as `fargatesim import` reads it: a folder of AWS CLI outputs "
                           "(aws) or the output of `terraform show -json` (terraform)")
    init.add_argument("--service", metavar="NAME", help="with --from-import aws: the service, when there are several")
    init.add_argument("--address", metavar="ADDRESS",
                      help="with --from-import terraform: the aws_ecs_service's address, when there are several")
    init.add_argument("--force", action="store_true", help="replace FILE if it exists")

    schema = sub.add_parser(
        "schema", help="print the scenario format as JSON Schema, for editors that complete and check keys",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=SCHEMA_DESCRIPTION)
    schema.add_argument("-o", "--output", metavar="FILE", help="write it to FILE instead of standard output")
    return p


CALIBRATE_DESCRIPTION = """\
Fit SCENARIO's traffic and workload to the records of the service it describes, and write the
calibrated scenario: the traffic as a trace (the access logs' arrivals per second, else
RequestCount per minute), the CPU per request and the CPU that does not scale with requests (a
line of each task's CPU, CPUUtilization x vCPU, against the requests it got per second), the I/O
time (TargetResponseTime of quiet minutes at no load, less the CPU time), the memory held idle
and per request in flight (MemoryUtilization against Little's law), the spread of a request's
work (the cv of cpu_ms and io_ms, from the ALB log's target processing times of quiet minutes
at no load), the timeout (how long the ALB log's unanswered 504s waited) and the tasks'
start-up (describe-tasks). Records: get-metric-data JSON or the CloudWatch console's CSV
download, describe-tasks JSON, ALB or Common Log Format access logs, each told by its content.
Each fitted value is written with its uncertainty and its source; what cannot be fitted keeps
the scenario's value and is listed.

  fargatesim run service.yaml --engine requests --records rec/     (records of a simulated run)
  fargatesim calibrate service.yaml --records rec/ -o calibrated.yaml
"""

BACKTEST_DESCRIPTION = """\
Run SCENARIO over the period its records cover, with its own scaling configuration, and put
its CloudWatch metrics beside the recorded ones minute by minute: running and desired tasks,
CPU and memory utilisation, TargetResponseTime (its mean, and each minute's p50 and p99 where
ALB access logs are among the records), 5XX counts, scale-outs and scale-ins. Writes
backtest.json (agreement: tasks within one task, CPU within 5 points, the latencies' errors,
5XX totals, scale-outs matched within two minutes), backtest.csv (the minutes side by side)
and backtest.png.

  fargatesim calibrate service.yaml --records rec/ -o calibrated.yaml
  fargatesim backtest calibrated.yaml --records rec/ -o results/backtest
"""

TUNE_DESCRIPTION = """\
Search the scenario keys SPACE names for the configuration that costs least while meeting the
scenario's SLO on every seed (or on --slo-share of them), with Optuna: TPE with the SLO as a
constraint, or NSGA-II for the Pareto front of cost and minutes outside the SLO. Every trial
runs the same seeds (common random numbers), so trials differ by their settings, not by luck.

SPACE (YAML):
  description: the CPU target and the floor    # optional: what it searches
  parameters:
    autoscaling.policies[0].target_tracking_scaling_policy_configuration.target_value: {low: 30, high: 85}
    autoscaling.min_capacity: {low: 1, high: 20, integer: true}
    autoscaling.policies[0].target_tracking_scaling_policy_configuration.scale_in_cooldown: {low: 60, high: 900, step: 60}
    task_definition.cpu: [512, 1024, 2048]     # a choice; memory follows at the same MiB per vCPU
    autoscaling.policies: {choices: {cpu: [...], cpu-and-requests: [...]}}   # named whole values
  objective: cost                              # or pareto
  slo_share: 1.0

Writes into DIR: best.yaml (the best configuration; `fargatesim run` reproduces its trial),
trials.parquet and trials.csv (one row per trial: its parameters, cost, minutes outside the
SLO, share of seeds meeting it), runs.csv (each trial's runs), front.png (cost against minutes
outside the SLO, the best and the starting scenario marked), parameters.png and tune.json.
Trials are kept in DIR/tune.journal as they finish: after Ctrl-C or a killed process,
--resume continues without running a finished trial again.

  fargatesim tune example:checkout-api --space example:spaces/checkout-target-and-floor --trials 60 \
      --jobs 2 -o results/tune                 (add --resume to continue it)
  fargatesim tune my-service.yaml --space space.yaml --dask tcp://10.0.0.5:8786 --trials 500
"""

SCENARIO_HELP = "scenario file (YAML), or example:NAME for an example shipped with fargatesim"

EXAMPLES_DESCRIPTION = """\
The example scenarios that come with fargatesim, each answering one question, with the SPACE
files for `fargatesim tune`, the scenario reference and real request-rate traces. Without NAME,
list them; with NAME, print the file (for traces, what they are and where they come from); with
-o DIR, copy it into DIR with the files it reads (a scenario's traces, with their sources and
licences), at the same relative paths, so that the copy runs as it is. A file already in DIR
with the same content is left alone; one that differs is kept and nothing is copied, unless
--force. `example:NAME` runs an example where it lies, wherever a scenario file is read.

examples:
  fargatesim examples
  fargatesim examples checkout-api | less
  fargatesim run example:checkout-api -o results/checkout
  fargatesim examples nasa-1995-trace-replay -o my-scenarios/
  fargatesim run my-scenarios/nasa-1995-trace-replay.yaml --duration 6h
  fargatesim examples reference -o .           (every key, with its default and meaning)
  fargatesim tune example:checkout-api --space example:spaces/checkout-target-and-floor
"""

INIT_DESCRIPTION = """\
Write a scenario to start from: a web API on Fargate behind an Application Load Balancer, scaled
by CPU target tracking, each key commented and the file valid as written. Its load (the traffic
and what a request costs) is marked as placeholders, which validate and run warn about until
you replace them. With --from-import, start from your own service instead: its settings read
from the AWS CLI's outputs or a Terraform plan, as `fargatesim import` reads them. FILE is not
replaced if it exists, unless --force.

examples:
  fargatesim init -o my-service.yaml
  fargatesim validate my-service.yaml && fargatesim run my-service.yaml --duration 6h
  fargatesim init -o checkout.yaml --name checkout-api
  fargatesim init --from-import aws exports/ -o my-service.yaml
  fargatesim init --from-import terraform plan.json --address module.api.aws_ecs_service.this -o api.yaml
"""

SCHEMA_DESCRIPTION = """\
Print the scenario format as JSON Schema (draft 2020-12): every section and key with its type,
bounds, default and meaning, built from the same models `fargatesim validate` uses. Editors with
a YAML language server (VS Code's YAML extension, Neovim, JetBrains) then complete and check
keys as you type, once the scenario's first line names the schema:

    fargatesim schema -o scenario.schema.json
    # yaml-language-server: $schema=scenario.schema.json

The schema checks each key's shape; what depends on several keys at once (Fargate's cpu and
memory pairs, overlapping step bounds, a trace file's contents) is for `fargatesim validate`.
"""


def _dask_client(address: str):
    """A client of the Dask scheduler at `address`, or a bad-input error saying why not."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError(f"--dask {address}: needs the distributed package "
                         "(pip install 'fargatesim[dask]')") from None
    _check_dask_scheduler(address)
    try:
        return Client(address, timeout=f"{DASK_TIMEOUT_S:g}s")
    except (OSError, TimeoutError, ValueError) as e:
        raise InputError(f"--dask {address}: cannot reach a Dask scheduler there ({e})") from None


def _check_dask_scheduler(address: str) -> None:
    """Ask `address` what it is, all within DASK_TIMEOUT_S. distributed's Client waits for the
    handshake without end when a server accepts the connection and says nothing, and an HTTP
    server or a Dask worker is no scheduler either: each is bad input, said in one line."""
    import asyncio

    from distributed.comm import connect
    from distributed.security import Security

    async def identity():
        # connect() gives up on an address that refuses after its timeout, with its own
        # message; the second past it catches a server that accepts and never answers.
        deadline = time.monotonic() + DASK_TIMEOUT_S + 1
        comm = await asyncio.wait_for(connect(address, timeout=DASK_TIMEOUT_S,
                                              **Security().get_connection_args("client")),
                                      DASK_TIMEOUT_S + 1)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await asyncio.wait_for(comm.read(), max(1.0, deadline - time.monotonic()))
        finally:
            comm.abort()

    try:
        reply = asyncio.run(identity())
    except TimeoutError:
        raise InputError(f"--dask {address}: expected a Dask scheduler there; nothing answered as one "
                         f"within {DASK_TIMEOUT_S:g} s") from None
    except (OSError, ValueError, TypeError) as e:
        raise InputError(f"--dask {address}: cannot reach a Dask scheduler there ({e})") from None
    except Exception:
        # What answered speaks another protocol: its first bytes read as a Dask frame's length
        # ask for exabytes (MemoryError) or fail to decode.
        raise InputError(f"--dask {address}: expected a Dask scheduler there; got an answer in "
                         "another protocol") from None
    kind = reply.get("type") if isinstance(reply, dict) else None
    if kind != "Scheduler":
        got = f"a Dask {kind}" if isinstance(kind, str) else "an answer that is not a Dask scheduler's"
        raise InputError(f"--dask {address}: expected a Dask scheduler there; got {got}")


def _add_trust_option(parser) -> None:
    parser.add_argument("--trust-module", action="append", default=[], metavar="MODULE", dest="trusted_modules",
                        type=_module_name,
                        help="let custom policies name MODULE (and its submodules) from the current folder, "
                             "the standard library or an installed package; by default a custom policy's class "
                             "must be in a Python file in the scenario's folder (repeatable)")


def _module_name(text: str) -> str:
    from .autoscaling.policy_files import trusted_names
    try:
        return trusted_names([text])[0]
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _add_run_options(parser, output_help: str, figure: str) -> None:
    """The options of the commands that make many runs: how to run them, where to write."""
    parser.add_argument("-j", "--jobs", type=_non_negative_int, default=1, metavar="N",
                        help="runs at once, in local processes (default 1; 0: one per CPU); "
                             "the results do not depend on it")
    parser.add_argument("-o", "--output", metavar="DIR", help=output_help)
    parser.add_argument("--no-plot", action="store_true", help=f"skip {figure}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


DEFAULT_SPOT_RATE = 0.02   # fargatesim.studies.cost.DEFAULT_SPOT_RATE, without importing pandas for --help

COST_DESCRIPTION = """\
Run SCENARIO's service, on the same traffic and seeds, on each platform it could run on, and
print what each costs beside its SLO outcome. Writes cost.csv (one row per platform, EC2
instance type and job platform) and cost.png into DIR.

rows:
  FARGATE                 every task on-demand Fargate
  FARGATE + FARGATE_SPOT  the scenario's capacity_provider_strategy, or else a base of
                          autoscaling.min_capacity tasks on FARGATE and above it one on FARGATE
                          for every three on FARGATE_SPOT, interrupted by the scenario's
                          spot_interruption faults or --spot-interruptions
  EC2 <type>              launch_type EC2 on each instance type with the task's CPU
                          architecture and room for a task, binpacked, the instance count
                          following the tasks (ECS cluster auto scaling; the scenario's
                          service.ec2 keys, or their defaults); the best is named first:
                          the cheapest that met the SLO on every seed
  Lambda                  for the scenario's jobs: each run a Fargate task or a Lambda
                          invocation, with the reason when Lambda cannot run a job
The configuration the file describes is marked "as written". Prices: the region's on-demand list
prices (fargatesim/cost/prices-<region>.json), no free tier, Savings Plans or reservations.

columns:
  cost (USD)    over the simulated time; Fargate per task-second, EC2 per instance-second
                (one-minute minimums), Lambda per millisecond and request
  compute       task-hours (Fargate) or instance-hours (EC2)
  p99, error rate, SLO, outside SLO
                latency p99 over the run, errors / requests, whether summary.json says the
                SLO was met, and the minutes whose p99 or error rate was outside it

examples:
  fargatesim cost example:steady-high-traffic -o results/steady-cost
  fargatesim cost example:idle-test-environment --seeds 3 --jobs 2
  fargatesim cost example:nightly-etl-job --instance-types m5.large,c5.large
  fargatesim cost example:steady-high-traffic --set service.ec2.target_capacity=90 --duration 6h
"""


RUN_EXAMPLES = """\
examples:
  fargatesim run example:steady-web-api -o results/steady
  fargatesim run example:checkout-api --duration 6h --seed 7 --json
  fargatesim run example:checkout-api --set autoscaling.min_capacity=16 \\
      --set 'autoscaling.policies[0].target_tracking_scaling_policy_configuration.target_value=45'
  fargatesim run example:cpu-target-tracking-diurnal --engine requests --duration 2h
  fargatesim run my-service.yaml -o results/my-service      (a copy: fargatesim examples NAME -o DIR)
"""

COMPARE_DESCRIPTION = """\
Run every SCENARIO with the same N seeds and print a table of the figures to decide on: latency
p50 and p99, error rate, minutes outside the SLO, recovery from the worst stretch outside it,
task-hours, peak tasks, scaling activities and cost, each as its mean (min-max) over the seeds.
Seed s is given to every scenario, so for each seed they all see the identical arrivals (when
they share the traffic, tick and duration). Writes runs.csv (one row per scenario and seed),
table.csv (one row per scenario) and compare.png into DIR.

A --set after a SCENARIO changes that scenario only; before the first, every scenario. Variants
are named after their scenarios; two with the same name are told apart by what differs.

examples:
  fargatesim compare example:spike-5x-standard-metrics example:spike-5x-high-resolution-metrics \\
      --seeds 10 --jobs 4 -o results/spike
  fargatesim compare example:spike-5x-standard-metrics \\
      example:spike-5x-standard-metrics --set autoscaling.min_capacity=12 --duration 90m

definitions (minutes are the 60 s rows of timeseries.csv):
  minutes outside SLO   p99 above slo.latency_p99_ms, or the minute's error rate above
                        slo.error_rate (without an error-rate SLO: any error)
  recovery              from the first minute of the longest stretch outside the SLO to the
                        first minute after it back within (gaps under 3 minutes do not end a
                        stretch); 0 if none, "never" if the run ended outside the SLO
  scaling activities    scale-outs + scale-ins that changed the desired count
"""


class _CompareParser(_Parser):
    """Scenario files and options in any order, with each --set bound to the file it follows.

    argparse takes one run of positionals only, so the arguments are put in order first: options
    (a --set after a file becomes --file-set INDEX:KEY=VALUE), then `--` and the files.
    """

    def parse_known_args(self, args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        options, files, i = [], [], 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                files.extend(args[i + 1:])
                break
            if arg == "--set" or arg.startswith("--set="):
                value = arg[len("--set="):] if "=" in arg[:6] else (args[i + 1] if i + 1 < len(args) else None)
                if value is None:
                    options.append(arg)                # argparse says what is missing
                elif files:
                    options += ["--file-set", f"{len(files) - 1}:{value}"]
                else:
                    options += ["--set", value]
                i += 1 if "=" in arg[:6] else 2
                continue
            if arg.startswith("-") and arg != "-":
                options.append(arg)
                action = self._option_string_actions.get(arg)
                takes_value = action is not None and action.nargs is None and "=" not in arg
                if takes_value and i + 1 < len(args):
                    options.append(args[i + 1])
                    i += 1
            else:
                files.append(arg)
            i += 1
        return super().parse_known_args(options + ["--"] + files if files else options, namespace)


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1; got {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not (value >= 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected a number >= 0; got {text!r}")
    return value


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected names separated by commas, e.g. m5.large,c5.xlarge; got {text!r}")
    return names


def _share(text: str) -> float:
    value = _non_negative_float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a share above 0 and at most 1; got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0; got {text!r}")
    return value


def main(argv=None) -> int:
    handlers = _interrupt_on_signals()
    try:
        args = build_parser().parse_args(argv)
        from .output import DestinationError, WriteError
        from .scenario import ScenarioError
        try:
            with _scenario_warnings_as_lines():
                if args.command == "validate":
                    return _validate(args)
                if args.command == "compare":
                    return _compare(args)
                if args.command == "cost":
                    return _cost(args)
                if args.command == "tune":
                    return _tune(args)
                if args.command == "schema":
                    return _schema(args)
                if args.command == "examples":
                    return _examples(args)
                if args.command == "init":
                    return _init(args)
                if args.command == "calibrate":
                    return _calibrate(args)
                if args.command == "backtest":
                    return _backtest(args)
                if args.command == "import":
                    from .importing.command import run_import
                    return run_import(args)
                return _run(args)
        except (ScenarioError, InputError, DestinationError) as e:
            print(f"fargatesim: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except WriteError as e:
            # The simulation ran; the folder keeps what it held (fargatesim.output).
            print(f"fargatesim: results not saved: {e}", file=sys.stderr)
            return EXIT_FAILED
        except BrokenPipeError:
            # The reader went away (`fargatesim run ... | head`): not an error of ours.
            sys.stdout = open(os.devnull, "w")
            return EXIT_OK
    except KeyboardInterrupt as e:
        signum = e.signum if isinstance(e, Interrupted) else signal.SIGINT
        Progress.end_line()
        print(f"fargatesim: interrupted by {signal.Signals(signum).name}", file=sys.stderr)
        return 128 + signum
    finally:
        _restore_signals(handlers)


@contextmanager
def _scenario_warnings_as_lines():
    """A scenario's warning is one line about the user's file ("fargatesim: warning: FILE: KEY:
    what"), not a pointer into our code; other warnings keep Python's format."""
    import warnings
    from .scenario import ScenarioWarning
    with warnings.catch_warnings():
        warnings.simplefilter("always", ScenarioWarning)
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if issubclass(category, ScenarioWarning):
                print(f"fargatesim: warning: {message}", file=file or sys.stderr)
            else:
                shown(message, category, filename, lineno, file, line)
        warnings.showwarning = show
        yield


INTERRUPT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
# After the first signal, the command has this long to unwind before another one interrupts
# the unwinding itself (its steps are bounded: ending workers, closing a Dask client).
UNWIND_S = 10.0


def _interrupt_on_signals() -> dict:
    """SIGINT, SIGTERM and SIGHUP raise Interrupted, so that the command unwinds: by default
    SIGTERM and SIGHUP end the process at once, leaving temporary files and worker processes.
    A signal that is ignored (nohup, a background job of a script) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    first: list[float] = []

    def interrupt(signum, frame):
        if first and time.monotonic() - first[0] < UNWIND_S:
            return
        first[:] = [time.monotonic()]
        raise Interrupted(signum)

    handlers = {}
    for signum in INTERRUPT_SIGNALS:
        handler = signal.getsignal(signum)
        if handler is None or handler == signal.SIG_IGN:
            continue
        handlers[signum] = handler
        signal.signal(signum, interrupt)
    return handlers


def _restore_signals(handlers: dict) -> None:
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


def parse_sets(items) -> dict:
    """--set KEY=VALUE pairs as loader overrides; VALUE is read as a scenario file's value is
    ("14:00" a time of day, "010" ten), by the same reader."""
    from .scenario import ScenarioError, read_value
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"expected KEY=VALUE, e.g. autoscaling.min_capacity=4; got {item!r}", path="--set")
        out[key.strip()] = read_value(value, key=key.strip())
    return out


def _check(scenario, args, *, at_once: int = 1, spot_mix: bool = False) -> None:
    """Everything that can be known before a run: where custom policies come from (nothing of
    theirs runs here), whether the runs fit in memory, and what probably is not meant."""
    from .autoscaling import check_autoscaling
    from .scenario import check_memory, warn_about
    check_autoscaling(scenario, trusted_modules=args.trusted_modules)
    check_memory(scenario, at_once=at_once)
    warn_about(scenario, spot_mix=spot_mix)


def _at_once(args) -> int:
    """How many runs share this machine's memory at once (on Dask, the cluster's workers hold
    them, not this machine)."""
    if getattr(args, "dask", None):
        return 1
    return args.jobs or os.cpu_count() or 1


def _overrides(args) -> dict:
    out = parse_sets(getattr(args, "sets", []))
    if args.seed is not None:
        out["seed"] = args.seed
    if args.duration is not None:
        out["duration"] = args.duration
    if getattr(args, "engine", None) is not None:
        out["engine"] = args.engine
    return out


def _calibrate(args) -> int:
    from .scenario import load_scenario
    from .studies.calibrate import calibrate, write_calibration
    scenario = load_scenario(args.scenario)
    _check(scenario, args)
    calibration = calibrate(scenario, args.records)
    try:
        written = write_calibration(calibration, args.output)
    except OSError as e:
        raise InputError(f"{args.output}: cannot write there: {e.strerror or e}") from None
    for fit in calibration.fits:
        error = f" ± {fit.error:.3g}" if fit.error is not None else ""
        print(f"  {fit.key} = {fit.value:.4g}{error} {fit.unit}  ({fit.source})")
    for kept in calibration.kept:
        print(f"  kept {kept}")
    print(f"  written   {', '.join(str(p) for p in written)}")
    return EXIT_OK


def _backtest(args) -> int:
    from .scenario import load_scenario
    from .studies.backtest import BACKTEST_FILES, backtest
    scenario = load_scenario(args.scenario)
    _check(scenario, args)
    out = Path(args.output)
    created = _prepare_output(args, out, BACKTEST_FILES)
    try:
        result = backtest(scenario, args.records)
        result.save(out)
    finally:
        _remove_if_unused(created)
    a = result.agreement
    print(f"{scenario.name}: simulated against recorded, {a['minutes']} minutes")
    for key in ("tasks_within_one", "tasks_mae", "cpu_within_5_points", "cpu_mae_points", "cpu_mape",
                "memory_mae_points", "target_response_time_median_ape", "target_response_time_p50_median_ape",
                "target_response_time_p99_median_ape"):
        if key in a:
            print(f"  {key:36} {a[key]:g}")
    print(f"  {'5xx_responses':36} {a['5xx_responses']['recorded']:,} recorded, {a['5xx_responses']['simulated']:,} "
          "simulated")
    for key in ("scale_outs", "scale_ins"):
        c = a[key]
        print(f"  {key:36} {c['matched']} of {c['recorded']} recorded matched within {c['within_s']:g} s "
              f"({c['simulated']} simulated)")
    print(f"  written   {out / 'backtest.json'}, backtest.csv, backtest.png")
    return EXIT_OK


def _examples(args) -> int:
    from .examples import UnknownExample, catalogue, copy_example, find
    if args.name is None:
        if args.output is not None:
            raise InputError(f"-o {args.output}: expected the NAME of the example to copy before it, e.g. "
                             f"fargatesim examples checkout-api -o {args.output}")
        print(_examples_listing(catalogue()))
        return EXIT_OK
    try:
        example = find(args.name)
    except UnknownExample as e:
        raise InputError(str(e)) from None
    if args.output is None:
        shown = example.path / "README.md" if example.kind == "traces" else example.path
        sys.stdout.write(shown.read_text(encoding="utf-8"))
        return EXIT_OK
    out = Path(args.output)
    written, unchanged = copy_example(example, out, force=args.force, label=f"-o {args.output}")
    print(f"copied {example.name} into {out}: {', '.join(map(str, written)) or 'nothing new'}")
    if unchanged:
        print(f"  already there, unchanged: {', '.join(map(str, unchanged))}")
    first = out / example.files()[0]
    if example.kind == "scenario":
        print(f"  run it:   fargatesim run {first}")
    elif example.kind == "space":
        print(f"  tune:     fargatesim tune SCENARIO --space {first}")
    elif example.kind == "traces":
        csv = next(rel for rel in example.files() if rel.suffix == ".csv")
        print(f"  a scenario in {out} replays one as: traffic: [{{trace: {{file: {csv}, scale: 20}}}}]")
    return EXIT_OK


def _examples_listing(examples) -> str:
    """The examples by kind, each name beside what it answers or holds, wrapped to the terminal."""
    import shutil
    import textwrap
    width = max(60, min(110, shutil.get_terminal_size((100, 24)).columns))
    column = max(len(e.name) for e in examples) + 4
    groups = (
        ("scenario", "Example scenarios, each answering the question beside it:\n"
                     "  fargatesim run example:NAME          runs one as it is, into results/NAME\n"
                     "  fargatesim examples NAME             prints it\n"
                     "  fargatesim examples NAME -o DIR      copies it, with the traces it replays, to edit"),
        ("space", "SPACE files, for fargatesim tune SCENARIO --space example:NAME:"),
        (None, "Also (print one with fargatesim examples NAME, copy it with -o DIR):"),
    )
    blocks = []
    for kind, title in groups:
        chosen = [e for e in examples if e.kind == kind or (kind is None and e.kind in ("reference", "traces"))]
        if not chosen:
            continue
        lines = [title, ""] if kind == "scenario" else [title]
        for e in chosen:
            lines.append(textwrap.fill(e.summary, width, initial_indent=f"  {e.name:<{column - 2}}",
                                       subsequent_indent=" " * column, break_on_hyphens=False))
        blocks.append("\n".join(lines))
    blocks.append("A scenario of your own to start from: fargatesim init -o my-service.yaml")
    return "\n\n".join(blocks)


def _init(args) -> int:
    from .examples import starter_text
    from .output import prepare_folder, write_files
    out = Path(args.output) if args.output is not None else None
    if out is not None and os.path.lexists(out):
        if out.is_dir():
            raise InputError(f"-o {args.output}: expected a file name for the scenario; got a folder")
        if not args.force:
            raise InputError(f"-o {args.output}: the file exists and is kept; --force replaces it")
    if args.from_import:
        kind, source = args.from_import
        if kind not in ("aws", "terraform"):
            raise InputError(f"--from-import: expected aws or terraform, then the SOURCE; got {kind!r}")
        if args.name:
            raise InputError("--name: names the starter; an import names the scenario after the service")
        from .importing.command import run_import
        return run_import(argparse.Namespace(source_kind=kind, source=source, output=args.output,
                                             service=args.service, address=args.address))
    if args.service or args.address:
        raise InputError(f"{'--service' if args.service else '--address'}: applies with --from-import only")
    # A file name may hold what a scenario's name may not (it names a folder): those runs become "-".
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", out.stem).strip("-.") if out is not None else ""
    text = starter_text(args.name or stem or "my-service")
    if out is None:
        sys.stdout.write(text)
        return EXIT_OK
    label = f"-o {args.output}"
    folder = out.parent
    prepare_folder(folder, [out.name], label=label)
    write_files(folder, {out.name: lambda path: path.write_text(text, encoding="utf-8")}, owned=[out.name])
    print(f"written {out}: a starter scenario to edit; then fargatesim validate {out} and fargatesim run {out}")
    return EXIT_OK


def _scenario_name(text: str) -> str:
    from .scenario import ScenarioError, scenario_from_dict
    try:
        scenario_from_dict({"name": text, "traffic": [], "workload": {"cpu_ms": 1}})
    except ScenarioError as e:
        problems = [line.strip() for line in str(e).splitlines() if line.strip().startswith("name:")]
        if problems:
            raise argparse.ArgumentTypeError(problems[0][len("name:"):].strip()) from None
    return text


def _schema(args) -> int:
    import json
    from .scenario.json_schema import scenario_schema
    text = json.dumps(scenario_schema(), indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as e:
        raise InputError(f"{args.output}: cannot write the schema there: {e.strerror or e}") from None
    return EXIT_OK


def _validate(args) -> int:
    from .scenario import load_scenario
    s = load_scenario(args.scenario)
    _check(s, args)
    print(f"{args.scenario}: ok ({s.name}: {len(s.traffic)} traffic component(s), "
          f"{s.duration:g} s simulated, tick {s.tick:g} s)")
    return EXIT_OK


class Progress:
    """A one-line progress bar on stderr, shown only for runs that take a while."""

    open_line = False       # a bar is drawn and its line not ended: a message goes below it

    @classmethod
    def end_line(cls) -> None:
        if cls.open_line:
            sys.stderr.write("\n")
            cls.open_line = False

    def __init__(self, enabled: bool, label: str):
        self.enabled = enabled and sys.stderr.isatty()
        self.label = label
        self.t0 = time.monotonic()
        self.shown = False

    def __call__(self, fraction: float) -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.t0
        if elapsed < 1.5 and fraction < 1.0:
            return
        bar = "#" * int(30 * fraction)
        # Simulated time is not wall time (a peak costs more than a quiet night), so the first
        # tenth gives no estimate rather than a wrong one.
        left = (f"~{elapsed / fraction - elapsed:4.1f}s left" if fraction >= 0.1
                else "estimating time left")
        sys.stderr.write(f"\r{self.label} [{bar:<30}] {fraction:5.1%} {elapsed:5.1f}s elapsed, {left} ")
        sys.stderr.flush()
        self.shown = True
        Progress.open_line = fraction < 1.0
        if fraction >= 1.0:
            sys.stderr.write("\n")


def _scaling_line(scaling: dict) -> str:
    changed = scaling["scale_out"] + scaling["scale_in"]
    held = scaling["activities"] - changed
    return (f"{scaling['scale_out']} out, {scaling['scale_in']} in"
            + (f"; {held} times not scaled (reasons in events.csv)" if held > 0 else ""))


def _run(args) -> int:
    from .engine import Simulation
    from .errors import SimulationError
    from .results import RESULT_FILES, Result
    from .scenario import load_scenario
    scenario = load_scenario(args.scenario, overrides=_overrides(args))
    _check(scenario, args)
    out = _output_folder(args, scenario, scenario.name)
    created = _prepare_output(args, out, RESULT_FILES)
    progress = Progress(not args.quiet and not args.json, f"simulating {scenario.name}")
    try:
        try:
            sim = Simulation(scenario, trusted_modules=args.trusted_modules).run(progress)
        except SimulationError as e:
            print(f"fargatesim: simulation failed: {e}", file=sys.stderr)
            return EXIT_FAILED
        result = Result.from_simulation(sim)
        result.save(out, resolution=args.resolution, plot=not args.no_plot)
        recorded = _save_records(result, args.records) if args.records else None
    finally:
        _remove_if_unused(created)
    if args.json:
        print(result.summary_json())
    else:
        print(human_summary(result, out, written=result.files(plot=not args.no_plot)))
    if recorded is not None:
        print(recorded, file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


def _save_records(result, directory: str) -> str:
    from .aws_records import save_records
    from .output import prepare_folder
    prepare_folder(Path(directory), (), label=f"--records {directory}")
    written = save_records(result, directory)
    line = f"  records   {Path(directory) / written[0]}, {', '.join(written[1:])}"
    if "alb-access.log.gz" not in written:
        line += ("\n            (no access log: the fluid engine keeps per-minute counts and latencies, which "
                 "get-metric-data.json holds; --engine requests writes one line per request)")
    return line


def _output_folder(args, scenario, default: str) -> Path:
    """-o DIR, or results/<default>: a folder inside results/, whatever the scenario's name."""
    from .output import is_plain_name
    from .scenario import ScenarioError
    if args.output:
        return Path(args.output)
    if not is_plain_name(default):
        raise ScenarioError(f"expected a name that is one plain folder name (no '/' or '\\', not '.' or '..'): "
                            f"it names the default output folder results/{default}; got {scenario.name!r} "
                            "(or give -o DIR)", file=scenario.source, path="name")
    return Path("results") / default


def _prepare_output(args, out: Path, names) -> list[Path]:
    """The destination checked before anything runs: one message and exit 2 if it cannot be
    written, rather than a traceback after the simulation. The folders it had to create."""
    from .output import prepare_folder
    return prepare_folder(out, names, label=f"-o {args.output}" if args.output else f"output folder {out}")


def _remove_if_unused(created: list[Path]) -> None:
    """Folders made for results that never came (a failed or interrupted run) go again."""
    from .output import remove_created
    remove_created(created)


def _compare(args) -> int:
    from .studies.compare import COMPARE_FILES, DEFAULT_SEEDS, compare
    from .errors import SimulationError
    from .scenario import load_scenario
    common = parse_sets(args.sets)
    if args.duration is not None:
        common["duration"] = args.duration
    own: dict[int, list[str]] = {}
    for item in args.file_sets:
        index, _, value = item.partition(":")
        own.setdefault(int(index), []).append(value)
    scenarios = [load_scenario(path, overrides={**common, **parse_sets(own.get(i, []))})
                 for i, path in enumerate(args.scenarios)]
    for s in scenarios:
        _check(s, args, at_once=_at_once(args))
    n = args.seeds if args.seeds is not None else DEFAULT_SEEDS
    seeds = range(args.first_seed, args.first_seed + n)
    out = Path(args.output) if args.output else Path("results") / "compare"
    created = _prepare_output(args, out, COMPARE_FILES)
    total = len(scenarios) * n
    bar = Progress(not args.quiet, f"comparing: 0/{total} runs")

    def progress(done: int, total: int) -> None:
        bar.label = f"comparing: {done}/{total} runs"
        bar(done / total)

    try:
        client = _dask_client(args.dask) if args.dask else None
        try:
            comparison = compare(scenarios, seeds=seeds, jobs=args.jobs, progress=progress, executor=client,
                                 trusted_modules=args.trusted_modules)
        except SimulationError as e:
            print(f"fargatesim: simulation failed: {e}", file=sys.stderr)
            return EXIT_FAILED
        finally:
            if client is not None:
                client.close(timeout=DASK_TIMEOUT_S)
        comparison.save(out, plot=not args.no_plot)
    finally:
        _remove_if_unused(created)
    if own:
        # Say which file and which changes each variant is, when files got changes of their own.
        width = max(len(v) for v in comparison.variants)
        for i, (label, path) in enumerate(zip(comparison.variants, args.scenarios)):
            sets = "".join(f" --set {item}" for item in own.get(i, []))
            print(f"{label.ljust(width)}  {path}{sets}")
        print()
    print(comparison.text_table())
    written = "runs.csv, table.csv" + (", compare.png" if not args.no_plot else "")
    print(f"written {out}/{written}")
    return EXIT_OK


def _tune(args) -> int:
    from dataclasses import replace
    from .errors import SimulationError
    from .scenario import ScenarioError, load_scenario, parse_duration
    from .studies.tune import JOURNAL, TUNE_FILES, tune
    from .studies.tune_space import load_space
    overrides = parse_sets(args.sets)
    if args.duration is not None:
        overrides["duration"] = args.duration
    scenario = load_scenario(args.scenario, overrides=overrides)
    _check(scenario, args, at_once=_at_once(args))
    space = load_space(args.space, scenario)
    if args.objective is not None:
        space = replace(space, objective=args.objective)
    if args.slo_share is not None:
        space = replace(space, slo_share=args.slo_share)
    try:
        timeout = None if args.timeout is None else parse_duration(args.timeout)
    except ValueError as e:
        raise ScenarioError(str(e), path="--timeout") from None
    out = _output_folder(args, scenario, f"{scenario.name}-tune")
    created = _prepare_output(args, out, (*TUNE_FILES, JOURNAL))
    storage = args.storage or str(out / JOURNAL)
    bar = Progress(not args.quiet, f"tuning: 0/{args.trials} trials")

    def progress(state: dict) -> None:
        best = (f", best ${state['best_cost_usd']:.4f} (trial {state['best_trial']})"
                if state["best_cost_usd"] is not None else ", none meets the SLO yet")
        left_s = state["left_s"]
        left = "" if not left_s else f", ~{left_s:.0f} s left" if left_s < 90 else f", ~{left_s / 60:.0f} min left"
        bar.label = f"tuning: {state['done']}/{state['total']} trials{best}{left}"
        bar(state["done"] / state["total"])
        if args.quiet or bar.enabled:
            return
        print(f"  {bar.label}", file=sys.stderr)

    client = _dask_client(args.dask) if args.dask else None
    try:
        try:
            result = tune(scenario, space, seeds=range(args.first_seed, args.first_seed + args.seeds),
                          trials=args.trials, jobs=args.jobs, executor=client, storage=storage,
                          resume=args.resume, sampler_seed=args.sampler_seed, timeout=timeout,
                          validate_seeds=args.validate_seeds, progress=progress,
                          trusted_modules=args.trusted_modules)
        except SimulationError as e:
            print(f"fargatesim: simulation failed: {e}", file=sys.stderr)
            return EXIT_FAILED
        except KeyboardInterrupt:
            Progress.end_line()
            print(f"fargatesim: the finished trials are kept in {storage}; `--resume` continues the tune",
                  file=sys.stderr)
            raise
        finally:
            if client is not None:
                client.close(timeout=DASK_TIMEOUT_S)
        result.save(out, plot=not args.no_plot)
    finally:
        journal = Path(storage)
        if journal.is_file() and journal.stat().st_size == 0:
            journal.unlink()                 # opened, never written: the tune did not start
        if not journal.exists():
            _remove_if_unused(created)
    print(result.text())
    written = [n for n in TUNE_FILES if (out / n).exists()]
    print(f"written {out}/{', '.join(written)}")
    return EXIT_OK


def _cost(args) -> int:
    from .studies.cost import COST_FILES, cost_comparison
    from .errors import SimulationError
    from .scenario import load_scenario
    overrides = parse_sets(args.sets)
    if args.duration is not None:
        overrides["duration"] = args.duration
    scenario = load_scenario(args.scenario, overrides=overrides)
    _check(scenario, args, at_once=_at_once(args), spot_mix=True)
    out = _output_folder(args, scenario, f"{scenario.name}-cost")
    created = _prepare_output(args, out, COST_FILES)
    bar = Progress(not args.quiet, "pricing: 0 runs")

    def progress(done: int, total: int) -> None:
        bar.label = f"pricing: {done}/{total} runs"
        bar(done / total)

    try:
        try:
            comparison = cost_comparison(scenario, seeds=args.seeds, jobs=args.jobs,
                                         spot_rate=args.spot_interruptions, instance_types=args.instance_types,
                                         progress=progress, trusted_modules=args.trusted_modules)
        except SimulationError as e:
            print(f"fargatesim: simulation failed: {e}", file=sys.stderr)
            return EXIT_FAILED
        comparison.save(out, plot=not args.no_plot)
    finally:
        _remove_if_unused(created)
    print(comparison.text())
    print(f"written {out}/cost.csv" + (", cost.png" if not args.no_plot else ""))
    return EXIT_OK


def _ec2_note(cost: dict) -> str:
    ec2 = cost.get("ec2") or {}
    if not ec2.get("instances"):
        return ""
    return (f" ({ec2['instance_hours']:,.1f} instance-hours of {ec2['instance_type']}, "
            f"at most {ec2['peak_instances']} at once)")


def human_summary(result, out: Path | None = None, written: list[str] | None = None) -> str:
    s = result.summary
    req, lat, t = s["requests"], s["latency_ms"], s["tasks"]
    errors = ", ".join(f"{k} {v:,}" for k, v in req["errors"].items() if v) or "none"
    slo = s["slo"]
    lines = [
        f"{s['scenario']} (seed {s['seed']}, {s['duration_s'] / 3600:g} h simulated)",
        f"  requests  {req['total']:,} total, {req['ok']:,} ok, errors: {errors}; "
        f"{s['in_flight_at_end']:,} in flight at the end",
        f"  latency   p50 {lat['p50']} ms, p90 {lat['p90']} ms, p99 {lat['p99']} ms",
        f"  tasks     {t['min_running']}..{t['max_running']} running (mean {t['mean_running']}), "
        f"{t['task_hours']} task-hours",
        f"  CPU       mean {s['cpu_utilization']['mean']} %, max {s['cpu_utilization']['max']} % (1-min averages)",
        f"  scaling   {_scaling_line(s['scaling'])}",
        f"  SLO       {'met' if slo['met'] else 'MISSED'} (error rate {slo['error_rate']}"
        + (f", p99 over target for {slo['latency_p99_ms_violation_minutes']} min" if slo['latency_p99_ms_violation_minutes'] is not None else "")
        + ")",
        f"  cost      ${s['cost']['usd']:.2f}" + _ec2_note(s["cost"]),
    ]
    if "connections" in s:
        c = s["connections"]
        lines.insert(2, f"  sessions  {c['sessions']:,}: {c['attempts']:,} connection attempts, "
                        f"{c['refused']:,} refused, {c['dropped']:,} dropped, {c['mean_open']:,.0f} open on average")
    for name, p in s.get("predictive", {}).items():
        error = (f"hourly load forecast {p['load_mape_percent']} % off (MAPE) over {p['hours_compared']} hours"
                 if p["load_mape_percent"] is not None else "no hour of the run to judge its forecast on yet")
        lines.append(f"  forecast  {name} ({p['mode']}, history: {p['history']}): {error}; forecast.csv")
    jobs = result.scenario.jobs if result.scenario is not None else ()
    if jobs:
        names = ", ".join(j.name for j in jobs)
        lines.append(f"  jobs      {names}: not run here; `fargatesim cost` prices them on Fargate and Lambda")
    if out is not None:
        if written is None:
            written = [n for n in ("summary.json", "timeseries.csv", "events.csv", "overview.png")
                       if (out / n).exists()]
        lines.append(f"  written   {out}/{', '.join(written)}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
