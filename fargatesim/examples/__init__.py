"""The example scenarios, the scenario reference and the request-rate traces that come with
fargatesim, so that an installed package can be tried, read and copied without the repository.

The repository keeps these files where its readers look for them: scenarios/ (SPACE files for
`tune` in scenarios/spaces/, traces in scenarios/traces/) and docs/scenario-reference.yaml.
This package reaches them through two relative symbolic links, `scenarios` and
`scenario-reference.yaml`; setuptools follows the links when it builds a wheel, so an installed
fargatesim holds the files themselves while the repository holds each file once, and an
editable install reads them where they are edited.

An example is named by its path below scenarios/ without ".yaml": "checkout-api",
"spaces/checkout-target-and-floor". "reference" names the scenario reference and "traces" the
folder of traces. `example:NAME` stands for the shipped file wherever a scenario or SPACE file
is read (`fargatesim run example:checkout-api`, `load_scenario("example:checkout-api")`); it is
read where it lies, so its relative trace paths resolve as they do in the repository. A copy
(`fargatesim examples NAME -o DIR`) keeps the same relative paths, so it runs as it is too.

Reading an example's own files uses PyYAML's safe reader: they are ours, and only their
`description`, trace `file`s and custom policy `class`es are looked at here.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

PREFIX = "example:"
# The examples are run where they lie (their traces are read by path), so they are files on
# disk next to this module, not resources read through importlib.
HERE = Path(__file__).parent
SCENARIOS = HERE / "scenarios"
REFERENCE = HERE / "scenario-reference.yaml"
STARTER = HERE / "starter.yaml"
TRACES = "traces"
# Files that travel with a trace wherever it is copied: the folder's README (every trace's
# source) and the licences of that trace. A licence named LICENSE-SOURCE-... covers the traces
# whose names start with SOURCE (LICENSE-azure-cc-by-4.0.txt: azure-*.csv); a plain LICENSE*,
# every trace of its folder.
_ATTRIBUTION = ("README.md", "LICENSE*")


def _covers(licence: Path, trace: str) -> bool:
    if licence.name == "README.md":
        return True
    source = licence.stem.split("-")[1] if licence.stem.count("-") >= 1 else ""
    return not source or Path(trace).name.startswith(source + "-")
_DESCRIPTIONS = {
    "reference": "every section and key a scenario file may hold, with its default and meaning",
    TRACES: "real request-rate traces (CSV) for `trace` traffic, with their sources and licences",
}


class UnknownExample(ValueError):
    """A name that is no example's: the message lists the names (bad input, exit code 2)."""


@dataclass(frozen=True)
class Example:
    name: str
    kind: str           # "scenario", "space", "reference" or "traces"
    path: Path          # the file; the folder, for traces
    root: Path          # what a copy keeps paths relative to

    @property
    def summary(self) -> str:
        """One line on what the example is: a scenario's question, a SPACE file's description."""
        if self.kind in ("scenario", "space"):
            description = _read(self.path).get("description") or ""
            return question(description) if self.kind == "scenario" else " ".join(description.split())
        return _DESCRIPTIONS[self.kind]

    def files(self) -> list[Path]:
        """What a copy holds, relative to `root`: the file and every file it reads (a scenario's
        traces with their attribution, its custom policies' Python files)."""
        if self.kind == "traces":
            return sorted(p.relative_to(self.root) for p in self.path.iterdir() if p.is_file())
        own = self.path.relative_to(self.root)
        if self.kind != "scenario":
            return [own]
        data = _read(self.path)
        used = [own.parent / name for name in _traces(data) + _policy_files(data)]
        for trace in _traces(data):
            folder = self.root / own.parent / Path(trace).parent
            used += [p.relative_to(self.root) for pattern in _ATTRIBUTION for p in folder.glob(pattern)
                     if _covers(p, trace)]
        for rel in used:
            _inside(rel, self)
        return [own, *sorted(set(used) - {own})]


def catalogue(scenarios: Path = SCENARIOS, reference: Path = REFERENCE) -> list[Example]:
    """Every example, scenarios first (by name), then SPACE files, the reference and the traces."""
    found = [Example(p.stem, "scenario", p, scenarios) for p in sorted(scenarios.glob("*.yaml"))]
    found += [Example(f"spaces/{p.stem}", "space", p, scenarios)
              for p in sorted((scenarios / "spaces").glob("*.yaml"))]
    if reference.is_file():
        found.append(Example("reference", "reference", reference, reference.parent))
    if (scenarios / TRACES).is_dir():
        found.append(Example(TRACES, "traces", scenarios / TRACES, scenarios))
    return found


def find(name: str, scenarios: Path = SCENARIOS, reference: Path = REFERENCE) -> Example:
    """The example called `name` ("checkout-api"; ".yaml" may be added); UnknownExample if none is."""
    every = catalogue(scenarios, reference)
    wanted = name[:-len(".yaml")] if name.endswith(".yaml") else name
    for example in every:
        if example.name == wanted:
            return example
    names = [e.name for e in every]
    close = difflib.get_close_matches(wanted, names, n=1, cutoff=0.7)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownExample(f"unknown example {name!r}{hint}; the examples are {', '.join(names)} "
                         "(`fargatesim examples` says what each is)")


def example_path(source: str) -> Path | None:
    """The shipped file that "example:NAME" names; None when `source` does not start so (a
    path). UnknownExample when NAME is no example."""
    if not source.startswith(PREFIX):
        return None
    return find(source[len(PREFIX):]).path


def question(description: str) -> str:
    """The question a scenario answers: the first sentence of its description that asks one
    (else its first sentence), on one line."""
    text = " ".join(description.split())
    sentences = re.split(r"(?<=[.?!])\s+(?=[A-Z(`])", text)
    return next((s for s in sentences if s.endswith("?")), sentences[0])


def copy_example(example: Example, destination: str | Path, *, force: bool = False,
                 label: str | None = None) -> tuple[list[Path], list[Path]]:
    """Copy `example` and the files it reads into `destination`, at the same relative paths.
    Returns (written, unchanged): a file already there with the same bytes is left alone. A file
    there that differs is replaced only with `force`; otherwise DestinationError names it and
    nothing is written."""
    # Imported here: the scenario loader imports this module, and reading a scenario needs none
    # of the machinery that writes files.
    from ..output import DestinationError, prepare_folder, write_files
    out = Path(destination)
    label = label or str(out)
    files = example.files()
    differing = [rel for rel in files if (out / rel).is_file() and (out / rel).read_bytes()
                 != (example.root / rel).read_bytes()]
    if differing and not force:
        shown = ", ".join(str(out / rel) for rel in differing[:3]) + (", ..." if len(differing) > 3 else "")
        raise DestinationError(f"{label}: {len(differing)} file(s) there differ from the example's ({shown}); "
                               "--force replaces them, or copy into another folder")
    unchanged = [rel for rel in files if rel not in differing and (out / rel).is_file()]
    wanted = [rel for rel in files if rel not in unchanged]
    by_folder: dict[Path, list[Path]] = {}
    for rel in wanted:
        by_folder.setdefault(rel.parent, []).append(rel)
    for folder in by_folder:
        prepare_folder(out / folder, [rel.name for rel in by_folder[folder]], label=label)
    for folder, rels in by_folder.items():
        write_files(out / folder, {rel.name: _copier(example.root / rel) for rel in rels},
                    owned=[rel.name for rel in rels])
    return wanted, unchanged


def starter_text(name: str = "my-service") -> str:
    """The scenario `fargatesim init` writes, named `name` (a scenario's name: no quoting needed)."""
    return re.sub(r"^name: my-service +(#.*)$", lambda m: f"{'name: ' + name:<33} {m.group(1)}",
                  STARTER.read_text(encoding="utf-8"), count=1, flags=re.MULTILINE)


def _copier(source: Path):
    def write(path: Path) -> None:
        path.write_bytes(source.read_bytes())
    return write


def _read(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _traces(data: dict) -> list[str]:
    """The trace files a scenario's traffic replays, as it names them."""
    traffic = data.get("traffic") or []
    return [c["trace"]["file"] for c in traffic
            if isinstance(c, dict) and isinstance(c.get("trace"), dict) and "file" in c["trace"]]


def _policy_files(data: dict) -> list[str]:
    """The Python files beside the scenario that its custom policies' classes are in
    ("team.rules:Policy" is team/rules.py), as fargatesim.autoscaling.policy_files finds them."""
    policies = (data.get("autoscaling") or {}).get("policies") or []
    modules = [p["custom"]["class"].partition(":")[0] for p in policies
               if isinstance(p, dict) and isinstance(p.get("custom"), dict) and "class" in p["custom"]]
    return [str(Path(*module.split("."))) + ".py" for module in modules]


def _inside(rel: Path, example: Example) -> None:
    """A shipped example reads nothing outside the examples (a test checks every one)."""
    if rel.is_absolute() or ".." in rel.parts or not (example.root / rel).is_file():
        raise ValueError(f"example {example.name} reads {rel}, which is not a file among the examples")
