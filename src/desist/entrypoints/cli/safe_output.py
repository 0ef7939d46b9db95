"""Escape control characters in what the CLI prints, so stored text cannot drive the terminal.

New text with control characters is refused at input (data/limits.yaml), but a database may hold older
rows, or rows written by other tools. A stored establishment holding ``ESC[2K\\r`` or a bidi override
would otherwise erase a line of ``referral show`` and print a forged one, recolour the screen, or reorder
what the reader sees. While a command runs, stdout and stderr go through :class:`EscapingStream`, which
writes every such character as a visible escape (``\\x1b``, ``\\u202e``); line breaks and tabs (the
CLI's own layout) pass. Commands that draw with Rich (``demo``, ``risk``, ``recommend``) keep stdout raw for
their styling; they print records read from the user's own file, not stored text.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from typing import Any, TextIO

#: C0 controls but tab and line feed, DEL, C1 controls, and the invisible/bidi code points refused at input
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")
#: commands whose stdout is drawn by Rich (styles are escape sequences) and shows no stored data
RICH_COMMANDS = frozenset({"demo", "risk", "recommend"})


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with every unsafe character written as a visible escape."""
    return _UNSAFE.sub(_visible, text)


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
    command = next((a for a in args if not a.startswith("-")), "")
    saved = sys.stdout, sys.stderr
    if command not in RICH_COMMANDS:
        sys.stdout = EscapingStream(sys.stdout)  # type: ignore[assignment]
    sys.stderr = EscapingStream(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
