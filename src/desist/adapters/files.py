"""Every file desist writes goes through here: checked target, temporary file beside it, fsync, rename.

Why one module: each writer used to open its target itself, and three of them could destroy what the user
had (``--rejects`` naming the SQLite database or the input, an export through a symlink onto the database).
Here a target is refused, in one line, when it is a folder, when it is (or resolves to, through symlinks,
hard links, ``..`` or letter case on a case-insensitive filesystem) a protected file (the database, an input
being read) or any SQLite database, and when it exists and ``force`` was not given. The content is written
to a temporary file in the target folder, flushed to disk, and renamed over the target, so a failure part-way
(disk full, a kill) leaves the old file, or none, never half of one.

Example
-------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_text(folder / "note.txt", "hello\\n")
PosixPath('...note.txt')
>>> write_text(folder / "note.txt", "again\\n")
Traceback (most recent call last):
desist.domain.errors.InputError: ...note.txt: exists; add --force to replace it
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from desist.domain.errors import InputError

SQLITE_MAGIC = b"SQLite format 3\x00"
#: companions of a SQLite database file that are as much the database as the file itself
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")

PathLike = str | os.PathLike[str]


def sqlite_path(url: str | None) -> Path | None:
    """The file of a SQLite URL (``sqlite:///x.db``, or the URI form ``sqlite:///file:x.db?mode=ro&uri=true``);
    None for an in-memory database or a server URL."""
    if not url or not url.startswith("sqlite"):
        return None
    from sqlalchemy import make_url

    try:
        parsed = make_url(url)
    except Exception:  # a malformed URL is refused elsewhere with its own line
        return None
    name = parsed.database
    if name and name.startswith("file:") and str(parsed.query.get("uri", "")).lower() in ("true", "1"):
        name = name[len("file:") :]
    if not name or name == ":memory:" or "mode=memory" in str(parsed.query.get("mode", "")):
        return None
    return Path(name)


def database_files(url: str | None) -> list[Path]:
    """The files of the SQLite database at ``url`` (with its -wal/-shm/-journal), none for a server URL."""
    main = sqlite_path(url)
    if main is None:
        return []
    return [main, *(Path(f"{main}{suffix}") for suffix in SQLITE_COMPANIONS)]


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()  # follows symlinks: the file a write would reach
    except (OSError, ValueError):
        return None


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def check_target(
    path: PathLike, *, protect: Iterable[PathLike] = (), force: bool = False, what: str = ""
) -> Path:
    """Refuse, in one line, a target that must not be written; return it as a Path.

    Parameters
    ----------
    path : path-like
        The file about to be written.
    protect : iterable of path-like
        Files that must never be written (the database, the inputs of the command).
    force : bool
        Allow replacing an existing regular file (never a protected one or a database).
    what : str
        How the user named the target, e.g. ``"--rejects"``; prefixed to messages.

    Raises
    ------
    InputError
        A folder, a missing folder, a protected file or one resolving to it, a SQLite database, a name too
        long for the filesystem, or an existing file without ``force``.
    """
    p = Path(path)
    label = f"{what} {p}" if what else str(p)
    if p.name in ("", ".", ".."):
        raise InputError(f"{label}: is a folder, expected a file name")
    _check_name_length(p, label)
    target_stat = _stat(p)
    resolved = p.resolve(strict=False)
    for other in protect:
        o = Path(other)
        other_stat = _stat(o)
        same_inode = (
            target_stat is not None
            and other_stat is not None
            and (target_stat.st_ino, target_stat.st_dev) == (other_stat.st_ino, other_stat.st_dev)
        )
        if same_inode or resolved == o.resolve(strict=False):
            raise InputError(f"{label}: is {_describe(o)}; expected another file name")
    if target_stat is not None and stat.S_ISDIR(target_stat.st_mode):
        raise InputError(f"{label}: is a folder, expected a file name")
    parent = resolved.parent
    if not parent.is_dir():
        raise InputError(f"{label}: folder {p.parent} does not exist, expected an existing folder")
    if target_stat is not None:
        if not stat.S_ISREG(target_stat.st_mode):
            raise InputError(f"{label}: is not a regular file, expected a file name")
        if _is_sqlite(p):
            raise InputError(f"{label}: is a SQLite database; expected another file name")
        if not force:
            raise InputError(f"{label}: exists; add --force to replace it")
    return p


def _describe(protected: Path) -> str:
    if any(protected.name.endswith(s) for s in SQLITE_COMPANIONS) or _is_sqlite(protected):
        return f"the database ({protected})"
    return f"a file being read ({protected})"


def _check_name_length(p: Path, label: str) -> None:
    folder = p.parent if str(p.parent) else Path(".")
    try:
        limit = os.pathconf(folder if folder.is_dir() else ".", "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    size = len(os.fsencode(p.name))
    if size > limit:
        raise InputError(f"{label}: file name too long ({size} bytes), expected at most {limit}")


@contextlib.contextmanager
def atomic_path(
    path: PathLike, *, protect: Iterable[PathLike] = (), force: bool = False, what: str = ""
) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix) to write to; on success it replaces ``path``.

    For writers that want a file name (pandas ``to_parquet``, matplotlib ``savefig``). On any error the
    temporary file is removed and the target is untouched; an ``OSError`` becomes one line.
    """
    target = check_target(path, protect=protect, force=force, what=what)
    label = f"{what} {target}" if what else str(target)
    try:
        # a short name of its own: a target near the length limit must not fail because of the suffix
        suffix = f".partial{target.suffix}"
        fd, tmp_name = tempfile.mkstemp(prefix=".desist-", suffix=suffix, dir=target.parent)
    except OSError as exc:
        raise _os_error(label, exc) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except OSError as exc:
        raise _os_error(label, exc) from None
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(
    path: PathLike,
    *,
    protect: Iterable[PathLike] = (),
    force: bool = False,
    what: str = "",
    newline: str | None = None,
) -> Iterator[IO[str]]:
    """Yield a text handle (UTF-8) onto a temporary file that replaces ``path`` when the block succeeds."""
    with (
        atomic_path(path, protect=protect, force=force, what=what) as tmp,
        tmp.open("w", encoding="utf-8", newline=newline) as fh,
    ):
        yield fh


def write_text(
    path: PathLike, text: str, *, protect: Iterable[PathLike] = (), force: bool = False, what: str = ""
) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_open(path, protect=protect, force=force, what=what) as fh:
        fh.write(text)
    return Path(path)


def write_with(
    path: PathLike,
    writer: Callable[[Path], object],
    *,
    protect: Iterable[PathLike] = (),
    force: bool = False,
    what: str = "",
) -> Path:
    """Call ``writer(temporary_path)`` and move the result onto ``path`` atomically; returns the path."""
    with atomic_path(path, protect=protect, force=force, what=what) as tmp:
        writer(tmp)
    return Path(path)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    # the rename is only durable once the folder entry is on disk; some filesystems refuse, which is fine
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


OS_ERROR_LINES = {
    errno.ENOSPC: "the disk is full; nothing was written, free some space and try again",
    errno.EDQUOT: "the disk quota is exceeded; nothing was written",
    errno.EROFS: "the filesystem is read-only; expected a writable folder",
    errno.EACCES: "permission denied; expected a folder you can write to",
    errno.EPERM: "permission denied; expected a folder you can write to",
    errno.ENAMETOOLONG: "file name too long; expected a shorter name",
    errno.ENOENT: "folder does not exist; expected an existing folder",
    errno.EISDIR: "is a folder, expected a file name",
}


def os_error_line(exc: OSError) -> str:
    """What went wrong with a file, in words the user can act on."""
    return OS_ERROR_LINES.get(exc.errno or 0, exc.strerror or type(exc).__name__)


def _os_error(label: str, exc: OSError) -> InputError:
    return InputError(f"{label}: cannot be written ({os_error_line(exc)})")
