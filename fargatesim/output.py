"""Writing a results folder: its files never mix, never half-exist, never land elsewhere.

Each command writes one *set* of files into one folder: `run` summary.json, timeseries.csv,
events.csv and overview.png; `compare` runs.csv, table.csv and compare.png; `cost` cost.csv and
cost.png. `write_files` writes a set so that the folder holds the earlier complete set or the
new complete set, never a mix of the two and never a truncated file:

1. **Write aside.** Every file goes to a hidden temporary file in the same folder
   (".NAME.XXXXXXXX.tmp": on the same file system, so a rename moves it into place) and is
   flushed to disk (fsync, so that a full disk fails here rather than later as a short file).
   A failure or an interrupt while writing removes the temporaries; the earlier files are not
   touched.
2. **Commit the set.** Each earlier file of the set is renamed aside (".NAME.XXXXXXXX.old"),
   each new file is renamed into place (os.replace), then the files set aside are deleted;
   those include the files of the set that this write does not produce (an overview.png left
   by an earlier run, when this one is written without its figure), so no earlier file
   remains beside the new ones. If a rename fails, the renames done are undone and the earlier
   set is back, complete. SIGINT, SIGTERM and SIGHUP are held back during the commit (a few
   renames in one folder, well under a millisecond) and delivered right after it: an interrupt
   leaves one set or the other, not half of each.

The commit renames files one by one rather than swapping in a new folder because the folder may
hold the user's own files: a write touches only the names of its own set (and their hidden
temporaries), whatever else the folder holds.

The folder is locked (flock) while a set is written into it, so that two commands writing into
the same folder one after the other leave one complete set, and so that a hidden temporary
found there under the lock is a leftover of a process that died, which the next write removes.
What no protocol of renames covers: SIGKILL or a power cut during the commit itself may leave
files of both sets; the next write into the folder replaces them all.

`prepare_folder` checks a destination before a long run: that it is (or can be made) a folder
and can be written, so that a bad `-o` fails in a second, not after the simulation.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import signal
import threading
from pathlib import Path
from typing import Callable, Iterable, Mapping

try:
    import fcntl
except ImportError:            # not on Windows: no folder lock there
    fcntl = None

__all__ = ["DestinationError", "WriteError", "prepare_folder", "remove_created", "write_files",
           "is_plain_name"]

_HELD_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class DestinationError(ValueError):
    """The destination cannot take the results (checked before the run): bad input."""


class WriteError(OSError):
    """A file of the set could not be written; the folder holds what it held before."""

    def __init__(self, path, error: OSError):
        reason = (error.strerror or str(error)) if isinstance(error, OSError) else str(error)
        super().__init__(getattr(error, "errno", None) or errno.EIO, reason, str(path))
        self.path = Path(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason}"


def is_plain_name(name: str) -> bool:
    """Whether `name` is one plain path component: a folder name that stays where it is put."""
    return (bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name
            and "\0" not in name and not os.path.isabs(name) and not os.path.splitdrive(name)[0])


# ------------------------------------------------------------------------ before the run
def prepare_folder(directory, names: Iterable[str] = (), *, label: str | None = None) -> list[Path]:
    """Make sure the set `names` can be written into `directory`, before anything is run.

    Creates the folder (and missing parents) and tries writing a file into it; raises
    DestinationError, saying what is wrong, when it is a file, cannot be created or written,
    or holds a folder where a file of the set goes. `label` names the destination in the
    message (e.g. "-o out"). Returns the folders it created, for `remove_created` when the
    command ends without writing.
    """
    out = Path(directory)
    label = label or str(out)
    if out.exists() and not out.is_dir():
        raise DestinationError(f"{label}: expected a folder to write the results into; got an existing file")
    created: list[Path] = []
    if not out.is_dir():
        missing = []
        for folder in (out, *out.parents):
            if folder.is_dir():
                break
            if os.path.lexists(folder):
                what = "is a file" if folder.is_file() else "exists and is not a folder"
                raise DestinationError(f"{label}: cannot create the folder: {folder} {what}")
            missing.append(folder)
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except FileExistsError:
                if not folder.is_dir():
                    remove_created(created)
                    raise DestinationError(f"{label}: cannot create the folder: {folder} is not a folder") from None
            except OSError as e:
                remove_created(created)
                raise DestinationError(f"{label}: cannot create the folder {folder}: {_reason(e)}") from None
            else:
                created.append(folder)
    try:
        probe = _new_file(out, ".fargatesim-probe")
        os.unlink(probe)
    except OSError as e:
        remove_created(created)
        raise DestinationError(f"{label}: cannot write into the folder {out}: {_reason(e)}") from None
    for name in names:
        target = out / name
        if target.is_dir() and not target.is_symlink():
            remove_created(created)
            raise DestinationError(f"{label}: {target} is a folder, where the results file {name} goes")
    return created


def remove_created(created: Iterable[Path]) -> None:
    """Remove the folders `prepare_folder` created, deepest first, if they are still empty."""
    for folder in sorted(created, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()


# ------------------------------------------------------------------------ writing a set
def write_files(directory, files: Mapping[str, Callable[[Path], object]], owned: Iterable[str]) -> list[str]:
    """Write the set `files` (name -> a function that writes that file at the path it is given)
    into `directory`, replacing the earlier set: every name of `owned` (the names a set of this
    kind may have) that `files` does not write is removed. See the module's docstring for how.
    Returns the names written. Raises WriteError naming the file that could not be written."""
    out = Path(directory)
    owned = list(dict.fromkeys([*owned, *files]))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise WriteError(out, e) from None
    with _locked(out):
        _remove_leftovers(out, owned)
        temporaries: dict[str, Path] = {}
        try:
            for name, write in files.items():
                try:
                    temporaries[name] = _new_file(out, f".{name}.", ".tmp")
                    write(temporaries[name])
                    _fsync(temporaries[name])
                except OSError as e:
                    raise WriteError(out / name, e) from None
            with _signals_held():
                _commit(out, temporaries, owned)
        finally:
            for path in temporaries.values():
                with contextlib.suppress(OSError):
                    os.unlink(path)
    return list(files)


def _commit(out: Path, temporaries: dict[str, Path], owned: list[str]) -> None:
    aside: dict[str, Path] = {}         # earlier files, renamed out of the way
    placed: list[str] = []              # new files renamed into place
    current = None
    try:
        for name in owned:
            current = name
            # A folder under a set's name is not an earlier file: it stays (and blocks the
            # rename of a new file onto it, which undoes the commit).
            if os.path.lexists(out / name) and not (os.path.isdir(out / name) and not os.path.islink(out / name)):
                backup = _unused_name(out, f".{name}.", ".old")
                os.replace(out / name, backup)
                aside[name] = backup
            if name in temporaries:
                os.replace(temporaries[name], out / name)
                placed.append(name)
    except OSError as e:
        for name in placed:                                   # undo: the earlier set, complete
            with contextlib.suppress(OSError):
                os.unlink(out / name)
        for name, backup in aside.items():
            with contextlib.suppress(OSError):
                os.replace(backup, out / name)
        raise WriteError(out / current, e) from None
    for backup in aside.values():
        with contextlib.suppress(OSError):
            os.unlink(backup)
    _fsync(out)


# ------------------------------------------------------------------------ helpers
_LEFTOVER = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{8}\.(?:tmp|old)")


def _remove_leftovers(out: Path, owned: list[str]) -> None:
    """Hidden temporaries of this set's names that a killed process left (see the docstring)."""
    names = set(owned)
    with contextlib.suppress(OSError):
        for entry in os.scandir(out):
            match = _LEFTOVER.fullmatch(entry.name)
            if match and match["name"] in names and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _new_file(folder: Path, prefix: str, suffix: str = "") -> Path:
    """A new empty file with an unused name, created with the permissions any file gets (the
    umask's), not tempfile's owner-only ones: it becomes a results file as it is."""
    for _ in range(100):
        path = folder / f"{prefix}{secrets.token_hex(4)}{suffix}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return path
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", str(folder))


def _unused_name(folder: Path, prefix: str, suffix: str) -> Path:
    while True:
        path = folder / f"{prefix}{secrets.token_hex(4)}{suffix}"
        if not os.path.lexists(path):
            return path


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:
        # A folder cannot be flushed on some file systems; a file that cannot is a failed write.
        if not path.is_dir():
            raise
        del e
    finally:
        os.close(fd)


@contextlib.contextmanager
def _locked(folder: Path):
    if fcntl is None:
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):       # a file system without locks: unlocked
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)                              # closing releases the lock


@contextlib.contextmanager
def _signals_held():
    """SIGINT, SIGTERM and SIGHUP wait until the block is done, then go to their handlers.

    Python runs signal handlers in the main thread only, between bytecodes; a handler that
    only notes the signal therefore holds it back for a block the main thread runs. Elsewhere
    (another thread) signals cannot be rearranged, and the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for signum in _HELD_SIGNALS:
        handler = signal.getsignal(signum)
        if handler is None or handler == signal.SIG_IGN:
            continue                          # not Python's to manage, or ignored anyway
        previous[signum] = handler
        signal.signal(signum, lambda s, frame: caught.append(s))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(caught):
            signal.raise_signal(signum)


def _reason(e: OSError) -> str:
    return (e.strerror or str(e)).lower() if isinstance(e, OSError) else str(e)
