"""A custom policy's class made into an object: its file run as a module of its own, the class
looked up, its params checked against the class and the object created.

Each file runs as a fresh module on every load, under a name made from its path
(fargatesim_policy_<hash>): two scenarios in two folders, each with its own mypolicies.py, get
each its own, in whatever order and process they run, and nothing one run leaves in a module's
globals reaches the next. The code that runs is the code policy_files.py compiled and checked,
not the file read again. A trusted module is imported the usual way, once per process.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
from types import ModuleType

from ..scenario import ScenarioError
from .policy_failure import call_user_code, files_of
from .policy_files import PolicySource

BEFORE_THE_RUN = "before the run (t = 0 s)"


def module_name_for(path) -> str:
    """The module name a policy file runs under: the same for one file, different for two."""
    return "fargatesim_policy_" + hashlib.sha256(str(path).encode("utf-8", "surrogatepass")).hexdigest()[:20]


def create_policy(source: PolicySource, params: dict, *, name: str, file: str | None, path: str,
                  method: str = "desired_capacity", signature: str = "desired_capacity(self, obs)",
                  params_path: str | None = None):
    """The policy object (or, with another `method`, a forecaster); ScenarioError (file, path)
    when the class is not one, SimulationError when the user's code fails while its module runs
    or in __init__."""
    policy = f"{name!r} ({source.spec})"
    in_user_code = files_of(source.path if source.path is not None else _trusted_root(source.module))
    module = _run_module(source, policy, in_user_code)
    cls = module.__dict__.get(source.class_name)    # not getattr: a module __getattr__ is code
    where = source.path or getattr(module, "__file__", None) or source.module
    if not isinstance(cls, type):
        what = "missing" if cls is None else f"a {type(cls).__name__}"
        raise ScenarioError(f"{source.spec}: expected a class; after its module ran, {source.class_name} is "
                            f"{what} ({where})", file=file, path=path)
    found = inspect.getattr_static(cls, method, None)
    if found is None or not (callable(found) or isinstance(found, (staticmethod, classmethod))):
        raise ScenarioError(f"{source.spec}: expected class {source.class_name} to have a {signature} "
                            f"method; it has none ({where})", file=file, path=path)
    _check_params(cls, params, source, file=file, path=params_path or path.rsplit(".", 1)[0] + ".params")
    return call_user_code(lambda: cls(**params), policy=policy,
                          during=f"failed in {source.class_name}() {BEFORE_THE_RUN}", in_user_code=in_user_code)


def _run_module(source: PolicySource, policy: str, in_user_code) -> ModuleType:
    during = f"failed while its module ran, {BEFORE_THE_RUN}"
    if source.path is None:
        return call_user_code(lambda: importlib.import_module(source.module), policy=policy, during=during,
                              in_user_code=in_user_code)
    name = module_name_for(source.path)
    spec = importlib.util.spec_from_file_location(name, source.path)
    module = importlib.util.module_from_spec(spec)
    # dataclasses, typing and pickle look a class's module up by name while and after it runs
    sys.modules[name] = module
    try:
        call_user_code(lambda: exec(source.code, module.__dict__), policy=policy, during=during,
                       in_user_code=in_user_code)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _check_params(cls: type, params: dict, source: PolicySource, *, file, path: str) -> None:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):      # no signature to read (a C class): the call will tell
        return
    try:
        signature.bind(**params)
    except TypeError as e:
        raise ScenarioError(f"expected params that {source.class_name}{signature} takes; {e}", file=file,
                            path=path) from None


def _trusted_root(module: str):
    """The folder (a package) or file of an imported trusted module: where its user code is."""
    top = sys.modules.get(module.split(".")[0])
    spec = getattr(top, "__spec__", None) or importlib.util.find_spec(module.split(".")[0])
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return next(iter(spec.submodule_search_locations), None)
    return spec.origin if spec.origin and spec.origin.endswith(".py") else None
