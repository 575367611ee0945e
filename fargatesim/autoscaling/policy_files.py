"""Where a custom policy's class comes from, found and checked without running any of its code.

`custom: {class: "module:Class"}` names a class in a Python file in the scenario's own folder:
`mypolicies` is <folder>/mypolicies.py and `team.rules` is <folder>/team/rules.py (the file
alone: no __init__.py runs, so a relative import inside it fails; its plain imports are looked
up on sys.path as usual, not in the scenario's folder). The file must be a regular file inside
the folder (a symbolic link to elsewhere is refused) and define the class at its top level with
a plain `def desired_capacity(self, obs)`, there or in a base class defined in the same file.
A base class from another module cannot be seen without running that module: such a class is
accepted here and its method is checked once its module has run (still before the simulation).

A module from anywhere else (the current folder, the standard library, an installed package)
is used only if the caller trusts it: `trusted_modules=("mypkg",)` (a name covers its
submodules; `--trust-module mypkg` on the command line). A trusted module is imported by name,
the usual way, and only when the scenario's folder has no file of that name. A scenario built
from a dict, not read from a file, has no folder of its own: its custom policies must come from
trusted modules, or be passed as objects (`fargatesim.simulate(scenario, policies=[...])`).

Everything here reads files only: `validate` can say whether a scenario's policies would load,
and nothing the scenario names is imported before all of them have passed.
"""
from __future__ import annotations

import ast
import builtins
import importlib.machinery
import importlib.util
import stat
from dataclasses import dataclass
from pathlib import Path
from types import CodeType

from ..scenario import ScenarioError

# Far above any policy a person writes; a file larger than this is not a policy, and parsing a
# huge one would take the time and memory the check exists to save.
MAX_POLICY_FILE_BYTES = 1024 * 1024
TRUST_HINT = "--trust-module NAME on the command line, trusted_modules=['NAME'] in Python"
_BUILTIN_NAMES = frozenset(dir(builtins))


@dataclass(frozen=True)
class PolicySource:
    """A custom policy's class, located and checked; nothing of it has run yet."""

    spec: str                  # "module:Class" as the scenario names it
    module: str
    class_name: str
    path: Path | None          # the file in the scenario's folder, resolved; None: a trusted module
    code: CodeType | None      # that file compiled, the code that will run (no re-read)


def policy_folder(source: str | None, base_dir) -> Path | None:
    """The folder custom policy files come from: the scenario file's, or None without a file."""
    return Path(base_dir).resolve() if source is not None and base_dir is not None else None


def trusted_names(names) -> tuple[str, ...]:
    """The module names a caller trusts, checked; ValueError says which one is not a name."""
    if isinstance(names, str):
        names = (names,)
    out = []
    for name in names:
        if not (isinstance(name, str) and _dotted(name)):
            raise ValueError(f"expected a module name such as mypkg or mypkg.policies; got {name!r}")
        out.append(name)
    return tuple(out)


def check_custom_policies(scenario, trusted_modules=()) -> None:
    """Refuse, with a ScenarioError naming the policy's key, any custom policy whose class is not
    a class with a desired_capacity method in a file of the scenario's folder or in a trusted
    module. Runs none of the code; see the module's docstring for the rule."""
    custom_policy_sources(scenario.autoscaling, source=scenario.source, base_dir=scenario.base_dir,
                          trusted_modules=trusted_modules)


def custom_policy_sources(cfg, *, source: str | None, base_dir, trusted_modules=()) -> dict[int, PolicySource]:
    """The located class of every Custom policy of the autoscaling section `cfg`, by index."""
    try:
        trusted = trusted_names(trusted_modules)
    except ValueError as e:
        raise ScenarioError(str(e), file=source, path="trusted_modules") from None
    if cfg is None:
        return {}
    folder = policy_folder(source, base_dir)
    return {i: locate_policy(p.custom.class_, folder=folder, trusted=trusted, file=source,
                             path=f"autoscaling.policies[{i}].custom.class")
            for i, p in enumerate(cfg.policies) if p.policy_type == "Custom"}


def locate_policy(spec: str, *, folder: Path | None, trusted: tuple[str, ...] = (), file: str | None = None,
                  path: str = "", method: str = "desired_capacity") -> PolicySource:
    """Find and check the class `spec` ("module:Class") and its `method` (a policy's
    desired_capacity, a forecaster's forecast); ScenarioError(file, path) if refused."""
    def refuse(message: str) -> ScenarioError:
        return ScenarioError(message, file=file, path=path)

    module, _, class_name = spec.partition(":")
    if not (_dotted(module) and class_name.isidentifier()):
        raise refuse(f"expected 'module:ClassName', e.g. 'mypolicies:QueueDepthPolicy'; got {spec!r}")
    if folder is not None:
        candidate = folder.joinpath(*module.split(".")[:-1], module.split(".")[-1] + ".py")
        if candidate.exists() or candidate.is_symlink():
            resolved = _policy_file(candidate, folder, refuse)
            code, tree = _compiled(resolved, refuse, spec)
            problem = class_problem(tree, class_name, method=method)
            if problem:
                raise refuse(f"{spec}: in {resolved}, {problem}")
            return PolicySource(spec, module, class_name, resolved, code)
    if _is_trusted(module, trusted):
        _check_trusted(module, class_name, spec, refuse, method)
        return PolicySource(spec, module, class_name, None, None)
    if folder is None:
        raise refuse(f"{spec}: a custom policy comes from a Python file in the scenario file's folder, and this "
                     f"scenario was not read from a file; trust the module {module.split('.')[0]!r} "
                     f"({TRUST_HINT}) or pass the policy object (fargatesim.simulate(scenario, policies=[...]))")
    raise refuse(f"{spec}: expected the file {candidate} (a custom policy is a class in a Python file in the "
                 f"scenario's folder); there is none. A module from elsewhere (the current folder, the standard "
                 f"library, an installed package) runs only if you trust it ({TRUST_HINT})")


def _dotted(name: str) -> bool:
    return bool(name) and all(part.isidentifier() for part in name.split("."))


def _is_trusted(module: str, trusted: tuple[str, ...]) -> bool:
    return any(module == t or module.startswith(t + ".") for t in trusted)


def _policy_file(candidate: Path, folder: Path, refuse) -> Path:
    resolved = candidate.resolve()
    if not resolved.is_relative_to(folder):
        raise refuse(f"expected {candidate} to be a file in the scenario's folder; it leads to {resolved}")
    try:
        info = resolved.stat()
    except OSError as e:
        raise refuse(f"cannot read {candidate}: {e.strerror or e}") from None
    if not stat.S_ISREG(info.st_mode):
        raise refuse(f"expected {candidate} to be a Python file; it is not a regular file")
    if info.st_size > MAX_POLICY_FILE_BYTES:
        raise refuse(f"expected a policy file of at most {MAX_POLICY_FILE_BYTES // 1024} KiB; {candidate} has "
                     f"{info.st_size // 1024:,} KiB")
    return resolved


def _compiled(path: Path, refuse, spec: str) -> tuple[CodeType, ast.Module]:
    """The file's code and syntax tree. Compiling runs nothing, and finds what the parser alone
    lets through (`return` outside a function, say), so validate and run refuse the same files."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise refuse(f"cannot read {path}: {e.strerror or e}") from None
    try:
        return compile(data, str(path), "exec", dont_inherit=True), ast.parse(data, str(path))
    except SyntaxError as e:
        where = f"{e.filename or path}, line {e.lineno}" if e.lineno else str(path)
        text = f" ({e.text.strip()[:80]})" if e.text and e.text.strip() else ""
        raise refuse(f"{spec}: {type(e).__name__} in {where}: {e.msg}{text}") from None
    except (ValueError, RecursionError, MemoryError) as e:  # null bytes; nesting beyond the parser
        raise refuse(f"{spec}: {path} is not Python source a policy can be: {type(e).__name__}: {e}") from None


def class_problem(tree: ast.Module, class_name: str, *, defined_here: bool = True,
                  method: str = "desired_capacity") -> str | None:
    """What keeps `class_name` in this module from being a usable policy class, seen statically:
    None when it is a top-level class with desired_capacity (or may inherit one from a module
    that cannot be seen here). `defined_here=False` (a trusted module): the name may also be
    imported or assigned there (a package's __init__ re-exports its classes); what it is then
    is checked once the module is imported."""
    bound = [(stmt, kind) for stmt in tree.body if (kind := _binding(stmt, class_name))]
    if not bound:
        if not defined_here and any(_star_or_getattr(stmt) for stmt in tree.body):
            return None
        nested = next((n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == class_name), None)
        if nested is not None:
            return f"class {class_name} (line {nested.lineno}) is not at the top level of the module"
        return f"there is no class {class_name} at the top level"
    last, kind = bound[-1]
    if kind != "class":
        return f"{class_name} is {kind} (line {last.lineno}), not a class" if defined_here else None
    classes = {s.name: s for s in tree.body if isinstance(s, ast.ClassDef)}
    classes[class_name] = last
    # A base named after a builtin (object, dict...) is that builtin unless the module binds the
    # name itself; builtins have no desired_capacity.
    plain = _BUILTIN_NAMES - _top_level_names(tree)
    found = _method(last, classes, plain, set(), method)
    if found == "missing":
        arguments = "obs" if method == "desired_capacity" else "history, hours"
        return f"class {class_name} (line {last.lineno}) has no {method}(self, {arguments}) method"
    if found == "async":
        return (f"class {class_name} (line {last.lineno}) has an async {method}; expected a plain def "
                "(the simulator calls it and uses the answer at once)")
    return None


def _star_or_getattr(stmt: ast.stmt) -> bool:
    """A statement that may bind names it does not spell out."""
    return ((isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names))
            or (isinstance(stmt, ast.FunctionDef) and stmt.name == "__getattr__"))


def _binding(stmt: ast.stmt, name: str) -> str | None:
    """How a top-level statement binds `name`: 'class', or what else it makes it; None if not."""
    if isinstance(stmt, ast.ClassDef) and stmt.name == name:
        return "class"
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
        return "a function"
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        if any((a.asname or a.name.split(".")[0]) == name for a in stmt.names):
            return "imported from another module"
        return None
    targets = (stmt.targets if isinstance(stmt, ast.Assign) else
               [stmt.target] if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)) and stmt.value is not None else [])
    if any(isinstance(n, ast.Name) and n.id == name for t in targets for n in ast.walk(t)):
        return "assigned a value"
    return None


def _top_level_names(tree: ast.Module) -> set[str]:
    names = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(stmt.name)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names.update(a.asname or a.name.split(".")[0] for a in stmt.names)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _method(cls: ast.ClassDef, classes: dict[str, ast.ClassDef], builtin: set[str], seen: set[str],
            method: str = "desired_capacity") -> str:
    """'def', 'async', 'missing' or 'unknown' (it may come from a class not visible here)."""
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name == method:
            return "def"
        if isinstance(stmt, ast.AsyncFunctionDef) and stmt.name == method:
            return "async"
        if _binding(stmt, method) == "assigned a value":
            return "def"       # e.g. desired_capacity = _shared_rule: checked once it has run
    seen = seen | {cls.name}
    if cls.keywords:
        return "unknown"       # a metaclass may add methods
    for base in cls.bases:
        if isinstance(base, ast.Name) and base.id in classes and base.id not in seen:
            found = _method(classes[base.id], classes, builtin, seen, method)
        elif isinstance(base, ast.Name) and base.id in builtin:
            found = "missing"
        else:
            found = "unknown"
        if found != "missing":
            return found
    return "missing"


def _check_trusted(module: str, class_name: str, spec: str, refuse, method: str = "desired_capacity") -> None:
    """A trusted module must exist; when it is Python source, what can be seen of its class is
    checked (see class_problem's defined_here)."""
    origin = _trusted_origin(module, refuse)
    if origin is None:
        return                 # compiled or built in: checked once imported
    _, tree = _compiled(origin, refuse, spec)
    problem = class_problem(tree, class_name, defined_here=False, method=method)
    if problem:
        raise refuse(f"{spec}: in {origin}, {problem}")


def _trusted_origin(module: str, refuse) -> Path | None:
    """The source file of a module on sys.path, found the way import finds it but without
    importing it or its parent packages (so none of their code runs)."""
    parts = module.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])  # a top-level name: finders only, nothing runs
        for i in range(1, len(parts)):
            locations = spec.submodule_search_locations if spec is not None else None
            if locations is None:
                spec = None
                break
            spec = importlib.machinery.PathFinder.find_spec(".".join(parts[: i + 1]), list(locations))
    except (ImportError, ValueError) as e:
        raise refuse(f"cannot look up the trusted module {module!r}: {e}") from None
    if spec is None:
        raise refuse(f"the trusted module {module!r} is not on sys.path (is its package installed?)")
    if spec.origin and spec.origin.endswith(".py") and Path(spec.origin).is_file():
        return Path(spec.origin)
    return None

