"""The one exception a user of the scenario package sees, and the internal one behind it."""

from __future__ import annotations

import difflib


class ScenarioError(Exception):
    """A scenario that cannot be used, with where the problem is and what was expected.

    ``file`` is the scenario file as the user named it (None for a dict), ``path`` the key path
    inside it such as ``traffic[1].spike.peak_rps`` ("" when the problem concerns the whole file).
    """

    def __init__(self, message: str, *, file: str | None = None, path: str = "") -> None:
        super().__init__(message)
        self.file = file
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.path, self.message) if part)

    # Exceptions pickle through their args only; keyword attributes would be lost across processes.
    def __reduce__(self):
        return (_rebuild, (self.message, self.file, self.path))


def _rebuild(message: str, file: str | None, path: str) -> ScenarioError:
    return ScenarioError(message, file=file, path=path)


class Invalid(ValueError):
    """Raised inside validators; ``where`` extends the location pydantic reports.

    A cross-field check runs on a whole model, so pydantic would point at that model; ``where``
    lets the check point at the offending key below it (e.g. ``("memory",)``).  It subclasses
    ValueError so that pydantic collects it like any other validation problem.
    """

    def __init__(self, message: str, *where: str | int) -> None:
        super().__init__(message)
        self.message = message
        self.where = tuple(where)


def did_you_mean(word: object, choices: object) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""
