"""A custom policy's own code failing, told as the policy's failure: one SimulationError.

Whatever the user's code raises (an exception, or `sys.exit()`, which would otherwise end the
program with no word) becomes a message naming the policy, when in the run it happened, and
the lines of the user's own code it went through, as a traceback shows them. KeyboardInterrupt
is not the policy's failure: it is the person at the keyboard, and goes on up.
"""
from __future__ import annotations

import traceback
from pathlib import Path
from typing import Callable

from ..errors import SimulationError

_OWN_CODE = str(Path(__file__).resolve().parent.parent)  # fargatesim itself


def user_frames(exc: BaseException, in_user_code: Callable[[str], bool]) -> list[str]:
    """The traceback lines ("File ..., line N, in f" and the source line) of the frames of `exc`
    that are the user's code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if in_user_code(f.filename)]
    lines = traceback.format_list(frames)
    if isinstance(exc, SyntaxError) and exc.filename and in_user_code(exc.filename):
        # A syntax error has no frame of its own: where it is sits on the exception.
        lines.append(f'  File "{exc.filename}", line {exc.lineno}\n'
                     + (f"    {exc.text.strip()}\n" if exc.text and exc.text.strip() else ""))
    return [line.rstrip("\n") for line in lines]


def files_of(*paths) -> Callable[[str], bool]:
    """In the user's code: in one of these files, or below one of these folders."""
    roots = [str(p) for p in paths if p]
    if not roots:
        return lambda filename: not (filename.startswith(_OWN_CODE) or filename.startswith("<frozen"))
    return lambda filename: any(filename == r or filename.startswith(r.rstrip("/") + "/") for r in roots)


def policy_failure(exc: BaseException, *, policy: str, during: str, in_user_code: Callable[[str], bool]
                   ) -> SimulationError:
    """`exc`, raised by the user's code `during` something, as the policy's failure."""
    what = type(exc).__name__
    detail = _text(exc)
    if isinstance(exc, SystemExit):
        detail = "sys.exit()" if exc.code is None else f"sys.exit({_text(exc.code, repr)})"
        what = "SystemExit (a policy cannot end the program)"
    head = f"custom policy {policy} {during}: {what}" + (f": {detail}" if detail else "")
    return SimulationError("\n".join([head, *user_frames(exc, in_user_code)]))


def _text(value: object, shown=str) -> str:
    try:
        text = shown(value)
    except Exception:  # noqa: BLE001 - the user's __str__ failing must not hide the failure
        return "(its message cannot be shown)"
    return text if len(text) <= 500 else text[:497] + "..."


def call_user_code(fn: Callable[[], object], *, policy: str, during: str, in_user_code: Callable[[str], bool]):
    """fn(); whatever it raises but KeyboardInterrupt becomes the policy's failure."""
    try:
        return fn()
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - SystemExit too: a policy cannot end the program
        raise policy_failure(e, policy=policy, during=during, in_user_code=in_user_code) from e
