"""The one exception a user of the scenario package sees, and the internal one behind it."""

from __future__ import annotations

import difflib


class _InTheFile:
    """A message about a place in a scenario: ``file`` is the scenario file as the user named it
    (None for a dict), ``path`` the key path inside it such as ``traffic[1].spike.peak_rps``
    ("" when it concerns the whole file); shown as "FILE: PATH: message"."""

    def __init__(self, message: str, *, file: str | None = None, path: str = "") -> None:
        super().__init__(message)
        self.file = file
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.path, self.message) if part)

    # Exceptions pickle through their args only; keyword attributes would be lost across processes.
    def __reduce__(self):
        return (_rebuild, (type(self), self.message, self.file, self.path))


def _rebuild(cls, message: str, file: str | None, path: str):
    return cls(message, file=file, path=path)


class ScenarioError(_InTheFile, Exception):
    """A scenario that cannot be used, with where the problem is and what was expected.

    ``problems`` holds every (path, message) found at once, the first being ``path`` and
    ``message``; a file with several is shown as one message listing them all, each with its
    key path, so that one run of ``fargatesim validate`` says everything that is wrong.
    """

    def __init__(self, message: str, *, file: str | None = None, path: str = "",
                 problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message, file=file, path=path)
        self.problems = list(problems) if problems else [(path, message)]

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return super().__str__()
        head = f"{self.file}: " if self.file else ""
        lines = [f"  {': '.join(part for part in pair if part)}" for pair in self.problems]
        return f"{head}{len(self.problems)} problems:\n" + "\n".join(lines)

    def __reduce__(self):
        return (_rebuild_error, (self.message, self.file, self.path, self.problems))


def _rebuild_error(message: str, file: str | None, path: str, problems: list):
    return ScenarioError(message, file=file, path=path, problems=problems)


class ScenarioWarning(_InTheFile, UserWarning):
    """A scenario that runs but probably does not do what its author meant (a fault after the
    end, a schedule that never fires). Issued with `warnings.warn`; the command line prints each
    as one line, "fargatesim: warning: FILE: PATH: message"."""


class Invalid(ValueError):
    """Raised inside validators; ``where`` extends the location pydantic reports.

    A cross-field check runs on a whole model, so pydantic would point at that model; ``where``
    lets the check point at the offending key below it (e.g. ``("memory",)``).  It subclasses
    ValueError so that pydantic collects it like any other validation problem.
    """

    def __init__(self, message: str, *where: str | int, also: "list[Invalid] | None" = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = tuple(where)
        # More problems of the same model found by the same check (every unknown key of a
        # section, not the first only): reported with this one.
        self.also = list(also or ())


# Longer words are not typos of a key or a name, and difflib's cost grows with the product of
# the lengths: a 100 KB string compared with every time zone name would take minutes.
_LONGEST_TYPO = 64


# How alike (difflib's ratio) a suggestion must be: typos and plurals are above it ('desird_count'
# 0.96, 'tag' 0.86), an unrelated word that shares a few letters is below ('cluster' and
# 'cold_start' 0.59).
_CLOSE = 0.7


def did_you_mean(word: object, choices: object) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when nothing is close."""
    if not isinstance(word, (str, int, float)) or isinstance(word, bool) or len(str(word)) > _LONGEST_TYPO:
        return ""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=_CLOSE)
    return f" (did you mean {close[0]!r}?)" if close else ""


def shown(value: object, limit: int = 80) -> str:
    """repr(value) cut to `limit` characters, built only as far as it is shown.

    A value from a file can be a structure of a hundred thousand items (aliases make a small
    file stand for a large one); rendering it whole and cutting afterwards took minutes and
    gigabytes, so the text is built piece by piece and stops once it is long enough.
    """
    parts: list[str] = []
    room = [limit + 1]      # one more than shown, to know that something was cut

    def put(text: str) -> bool:
        parts.append(text[: room[0]])
        room[0] -= len(parts[-1])
        return room[0] > 0

    def walk(v: object, depth: int) -> bool:
        if isinstance(v, (str, bytes)):
            return put(repr(v[: room[0]]) if len(v) > room[0] else repr(v))
        if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > 64:
            return put(f"<a whole number of about {int(v.bit_length() * 0.30103) + 1} digits>")
        if isinstance(v, dict):
            if depth > 8:
                return put("{...}")
            if not put("{"):
                return False
            for i, (k, item) in enumerate(v.items()):
                if (i and not put(", ")) or not walk(k, depth + 1) or not put(": ") or not walk(item, depth + 1):
                    return False
            return put("}")
        if isinstance(v, (list, tuple, set, frozenset)):
            opening, closing = ("[", "]") if isinstance(v, list) else ("(", ")") if isinstance(v, tuple) else ("{", "}")
            if depth > 8:
                return put(opening + "..." + closing)
            if not put(opening):
                return False
            for i, item in enumerate(v):
                if (i and not put(", ")) or not walk(item, depth + 1):
                    return False
            return put(closing)
        try:
            text = repr(v)
        except Exception:  # noqa: BLE001 - a value that cannot describe itself is still shown as something
            text = f"<{type(v).__name__}>"
        return put(text)

    walk(value, 0)
    text = "".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."
