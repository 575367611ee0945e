"""Every notebook in notebooks/ runs clean, top to bottom, on a real Jupyter kernel, in under a
minute; and the committed notebooks carry no outputs and no paths relative to the working folder.

The kernel is this interpreter (the one running pytest, so the project's .venv), whatever
kernelspecs the machine has: the test writes its own "python3" kernelspec into a temporary
folder and starts the kernel from there, with MPLBACKEND=Agg and hypothesis's cache in that
folder. Each notebook runs twice: with the notebook's own folder as the kernel's working
directory, as JupyterLab, Jupyter Notebook and VS Code start it, and with the repository root,
where a kernel started from a terminal may be. Under pytest-xdist the notebooks run in
parallel, one kernel each.

Set FARGATESIM_EXECUTED_NOTEBOOKS=DIR to keep the executed copies (with their outputs) in
DIR/notebooks-folder and DIR/repository-root.
"""
from __future__ import annotations

import ast
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
KERNEL_NAME = "python3"
TIME_LIMIT_S = 60.0      # the whole notebook, kernel start included
KERNEL_FOLDERS = {
    "notebooks-folder": lambda notebook: notebook.parent,
    "repository-root": lambda notebook: REPO,
}
# A string such as "scenarios/x.yaml" or "../results" names a file only from one working folder.
FOLDER_RELATIVE_PATH = re.compile(r"^(?:\./)*(?:scenarios|results|docs|notebooks)/|^\.\./")


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory) -> KernelSpecManager:
    """Kernelspecs found only in a temporary folder: "python3" is this interpreter."""
    jupyter = tmp_path_factory.mktemp("jupyter")
    kernels = jupyter / "kernels"
    write_kernel_spec(kernels / KERNEL_NAME, overrides={
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python {sys.version_info.major}.{sys.version_info.minor} (fargatesim tests)",
        # hypothesis (notebook 03) caches in ./.hypothesis even without a database: not in notebooks/
        "env": {"MPLBACKEND": "Agg", "HYPOTHESIS_STORAGE_DIRECTORY": str(jupyter / "hypothesis")},
    })
    return KernelSpecManager(kernel_dirs=[str(kernels)])


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks found in {REPO / 'notebooks'}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    with_outputs = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
                    and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not with_outputs, (f"{path.name}: code cells {with_outputs} have outputs or execution "
                              "counts; clear them before committing")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_names_no_folder_relative_paths(path):
    """Caught without a kernel: a literal like "scenarios/x.yaml" works from one folder only."""
    nb = nbformat.read(path, as_version=4)
    to_python = TransformerManager()      # so that %magics and !commands still parse
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(to_python.transform_cell(cell.source))
        found += [(i, node.value) for node in ast.walk(tree) if isinstance(node, ast.Constant)
                  and isinstance(node.value, str) and FOLDER_RELATIVE_PATH.match(node.value)]
    assert not found, (f"{path.name}: code cells name paths relative to the working folder {found}; "
                       "the kernel may start in notebooks/ or in the repository root, so build them "
                       "from the folder the notebook finds (EXAMPLES, REPO)")


@pytest.mark.parametrize("where", KERNEL_FOLDERS)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_clean(path, where, kernel_specs, record_property):
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=kernel_specs)
    client = NotebookClient(
        nb, km=km, kernel_name=KERNEL_NAME,
        timeout=TIME_LIMIT_S,        # per cell: one cell over the limit is a failure anyway
        allow_errors=False,          # the first error raises CellExecutionError with its traceback
        resources={"metadata": {"path": str(KERNEL_FOLDERS[where](path))}},   # the kernel's cwd
    )
    start = time.perf_counter()
    try:
        client.execute(cleanup_kc=True)
    finally:
        elapsed = time.perf_counter() - start
        if km.has_kernel and km.is_alive():
            km.shutdown_kernel(now=True)
    record_property("seconds", round(elapsed, 2))
    print(f"{path.name} ({where}): ran in {elapsed:.1f} s")
    out = os.environ.get("FARGATESIM_EXECUTED_NOTEBOOKS")
    if out:
        (Path(out) / where).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, Path(out) / where / path.name)
    assert elapsed < TIME_LIMIT_S, f"{path.name} ({where}) took {elapsed:.1f} s; the limit is {TIME_LIMIT_S:g} s"
