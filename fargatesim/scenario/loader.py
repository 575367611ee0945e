"""Scenario files in, validated Scenario objects out; every failure is one ScenarioError."""

import os
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent
from yaml.resolver import Resolver

from ..examples import UnknownExample, example_path
from ..traffic.trace import not_a_file
from .errors import ScenarioError, shown
from .overrides import apply_overrides
from .schema import Scenario, scenario_from_dict

try:  # libyaml scans and parses in C; PyYAML does it in Python, at about 100 KB a second
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - a PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"

# What a scenario file may be. The largest example scenario (checkout-api.yaml, comments and
# all) is 9 KB; 256 KiB is 25 times that, and reading a file of that size takes about a second
# whatever it holds. A longer list of rates belongs in a trace file (traffic: - trace: ...).
MAX_FILE_BYTES = 256 * 1024
# The deepest key path a scenario has is 13 levels (autoscaling.policies[0]
# .target_tracking_scaling_policy_configuration.customized_metric_specification.metrics[0]
# .metric_stat.metric.dimensions[0].value); deeper nesting is not a scenario, and the reader
# and the checks below it recurse once per level.
MAX_DEPTH = 64
# Values (each scalar, list and mapping) once aliases are replaced by what they stand for:
# about as many as a 256 KiB file can spell out without aliases, so that anchors and aliases
# repeat a block as often as a scenario needs but never make a small file stand for a huge one
# (nine aliases of nine aliases ... make a 500-byte file stand for billions of values).
MAX_VALUES = 1 << 17


class _Loader(_Parser, Composer, SafeConstructor, Resolver):
    """A safe YAML loader for scenario files and --set values, with its own rules:

    - YAML 1.1's surprises are off: 14:00 is not the base-60 number 840 and 010 not octal 8;
      they stay strings, so `peak_at: 14:00` means 2 pm and a mistyped duration is an error
      rather than a wrong number;
    - a duplicate key is an error, not the last one silently winning;
    - nesting deeper than MAX_DEPTH, an alias inside its own anchor, and a document that
      stands for more than MAX_VALUES values are refused while the document is read.
    """

    def __init__(self, stream):
        _Parser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._open: list[int] = []            # values counted so far in each collection being read
        self._values: dict[int, int] = {}     # id(node) -> values it stands for, aliases expanded

    # libyaml's own composer would build the node tree in C, where neither the depth nor the
    # aliases can be counted; PyYAML's composer, in Python, builds it from libyaml's events.
    get_single_node = Composer.get_single_node
    get_node = Composer.get_node
    check_node = Composer.check_node

    def compose_node(self, parent, index):
        mark = self.peek_event().start_mark
        if self.check_event(AliasEvent):
            node = Composer.compose_node(self, parent, index)
            values = self._values.get(id(node))
            if values is None:  # the anchor's collection is still being read: it would hold itself
                raise ComposerError(None, None, "an alias inside the value of its own anchor (a value that "
                                    "contains itself without end)", mark)
            self._count(values, mark)
            return node
        if len(self._open) >= MAX_DEPTH:
            raise ComposerError(None, None, f"nesting deeper than {MAX_DEPTH} levels (a scenario needs "
                                "about a dozen)", mark)
        self._open.append(1)
        try:
            node = Composer.compose_node(self, parent, index)
        finally:
            values = self._open.pop()
        self._values[id(node)] = values
        self._count(values, mark)
        return node

    def _count(self, values: int, mark) -> None:
        if values > MAX_VALUES:
            raise ComposerError(None, None, f"this value stands for more than {MAX_VALUES:,} values once its "
                                "aliases (*name) are replaced by their anchors' values; a scenario needs far "
                                "fewer (anchors and aliases are for repeating a block a few times)", mark)
        if self._open:
            self._open[-1] += values

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            # A scalar YAML matched as a number or a date that Python cannot hold: a whole number
            # of more than 4,300 digits, February 30th, year 0.
            what = shown(node.value) if isinstance(node.value, str) else "this value"
            raise ConstructorError(None, None, f"cannot read {what} as {node.tag.rsplit(':', 1)[-1]}: "
                                   f"{_clip(_first_clause(exc), 200)}", node.start_mark) from None

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key; construct_mapping reports it
                continue
            if duplicate:
                raise ConstructorError(
                    None, None, f"duplicate key {shown(key)} (first given on line {seen[key] + 1})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _first_clause(exc: Exception) -> str:
    # "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; use
    # sys.set_int_max_str_digits() ..." -> its first clause; the advice is for programmers.
    return str(exc).split(";")[0].split(": value has")[0]


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_INT, re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def load_scenario(source: str | Path | dict, *, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario from a YAML file (or a dict, read relative to the current folder).
    "example:NAME" is an example shipped with fargatesim (`fargatesim examples` lists them).

    `overrides` maps key paths such as ``"service.desired_count"`` or ``"traffic[0].spike.peak_rps"``
    to values that replace (or, for mappings, are merged into) what the file says.
    """
    if isinstance(source, dict):
        file, base_dir, data = None, Path.cwd(), source
    else:
        file = str(source)
        path = _path(file)
        base_dir = path.resolve().parent
        data = _read_yaml(path, file)
    if overrides:
        data = apply_overrides(data, overrides, file=file)
    return scenario_from_dict(data, source=file, base_dir=base_dir)


def _read_yaml(path: Path, file: str) -> Any:
    data = _parse(_read_text(path, file), file)
    if data is None:
        raise ScenarioError(
            "the file is empty; expected a mapping with at least name, traffic, workload and task_definition", file=file
        )
    return data


def read_yaml_file(path: str | Path) -> Any:
    """Any YAML file of the user's (a tune's SPACE, say) read as a scenario file is: the same
    checks on what the path is and how large, UTF-8, the same reading of values, and a bad file
    a one-line ScenarioError naming it."""
    return _parse(_read_text(_path(str(path)), str(path)), str(path))


def _path(file: str) -> Path:
    """The file `file` names: "example:NAME" is the example shipped with fargatesim."""
    try:
        return example_path(file) or Path(file)
    except UnknownExample as e:
        raise ScenarioError(str(e), file=file) from None


def _read_text(path: Path, file: str) -> str:
    # Opened without blocking and checked on the open descriptor: a FIFO would block open() and
    # read() forever, /dev/zero never ends, and the name could change between a check and open.
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ScenarioError("file not found", file=file) from None
    except IsADirectoryError:
        raise ScenarioError("expected a YAML file; got a folder", file=file) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror or exc}", file=file) from None
    try:
        what = not_a_file(os.fstat(fd).st_mode)
        if what is not None:
            raise ScenarioError(f"expected a YAML file; got {what}", file=file)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror or exc}", file=file) from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(f"expected a scenario file of at most {MAX_FILE_BYTES // 1024} KiB (the largest example "
                            "is 9 KB; a long list of rates belongs in a trace file); this one is larger", file=file)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"expected a UTF-8 text file; byte {exc.start} is not UTF-8", file=file) from None


def _parse(text: str, file: str | None, path: str = "") -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeConstructor loader
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError(_yaml_problem(exc), file=file, path=path) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {_clip(str(exc), 300)}", file=file, path=path) from None


def read_value(text: str, *, key: str = "") -> Any:
    """One `--set KEY=VALUE`'s VALUE, read exactly as the same text is read as a value in a
    scenario file (14:00 is a time of day, 010 is ten, 1e3 a number); empty text is null.

    A VALUE that is not valid YAML raises ScenarioError naming ``--set KEY``.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise ScenarioError(f"expected a VALUE of at most {MAX_FILE_BYTES // 1024} KiB", path=f"--set {key}")
    if not text.strip():
        return None
    return _parse(text, None, f"--set {key}")


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = _clip(exc.problem, 300) if exc.problem else "malformed"
    context = f" ({exc.context} on line {exc.context_mark.line + 1})" if exc.context and exc.context_mark else ""
    return f"invalid YAML{where}: {problem}{context}"
