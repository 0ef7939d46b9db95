"""Escape control characters in what the CLI prints, so stored text cannot drive the terminal.

New text with control characters is refused at input (data/limits.yaml), but a database may hold older
rows, or rows written by other tools. A stored establishment holding ``ESC[2K\\r`` or a bidi override
would otherwise erase a line of ``referral show`` and print a forged one, recolour the screen, or reorder
what the reader sees. While a command runs, stdout and stderr go through :class:`EscapingStream`, which
writes every such character as a visible escape (``\\x1b``, ``\\u202e``); line breaks and tabs (the
CLI's own layout) pass. Commands that draw with Rich (``demo``, ``risk``, ``recommend``) keep stdout raw for
their styling; they escape each cell they draw instead (records read from the user's own file).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any, TextIO

#: commands whose stdout is drawn by Rich (styles are escape sequences); their cells are escaped one by one
RICH_COMMANDS = frozenset({"demo", "risk", "recommend"})


def escape(text: str) -> str:
    """``text`` with unsafe characters written as visible escapes (:func:`desist.domain.limits.visible`)."""
    from desist.domain.limits import visible

    return visible(text)


class EscapingStream:
    """A text stream that escapes unsafe characters and passes everything else to ``inner``."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(escape(text) if isinstance(text, str) else text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, encoding, errors, fileno...
        return getattr(self._inner, name)


@contextlib.contextmanager
def escaped_output(args: list[str]) -> Iterator[None]:
    """Escape stdout (unless the command draws with Rich) and stderr while the command runs."""
    # load the escaper before the streams are swapped: an import made by the first write would itself write
    # (python -v reports every import on stderr) and, through this stream, import it again, without end
    from desist.domain.limits import visible  # noqa: F401

    command = next((a for a in args if not a.startswith("-")), "")
    saved = sys.stdout, sys.stderr
    if command not in RICH_COMMANDS:
        sys.stdout = EscapingStream(sys.stdout)  # type: ignore[assignment]
    sys.stderr = EscapingStream(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
