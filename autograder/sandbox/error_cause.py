"""One readable line for an error that a process wrote as many: the cause, never the first line of a traceback.

A Python traceback starts with ``Traceback (most recent call last):`` and ends with the exception; what a reader
needs is that last line and where it was raised (the last ``File "...", line N`` above it). A Python that cannot
even start prints ``Fatal Python error: ...`` and then the exception. Anything else is summarised by its first
non-empty line (a shell's or ``mount``'s own message).
"""
from __future__ import annotations

import re

_FILE = re.compile(r'^\s*File "([^"]+)", line (\d+)(?:, in (\S+))?')
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)|[A-Z]\w*Error)\b:?(.*)$")
MAX_CHARS = 300


def cause(text, limit=MAX_CHARS) -> str:
    """The cause of the error in ``text`` (a process's stderr or a status file), in one line of at most ``limit``
    characters: ``"ModuleNotFoundError: No module named 'warnings' (raised in /usr/lib/python3.11/ctypes/__init__.py,
    line 8)"``; '' for an empty text."""
    lines = [line.rstrip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return ""
    fatal = next((line.strip() for line in lines if line.startswith("Fatal Python error:")), "")
    traced = any(line.startswith("Traceback (most recent call last):") for line in lines)
    if not traced and not fatal:
        return _clip(lines[0].strip(), limit)
    exception = next((line.strip() for line in reversed(lines) if _EXCEPTION.match(line.strip())), "")
    where = next((m for m in (_FILE.match(line) for line in reversed(lines)) if m), None)
    parts = [p for p in (fatal, exception) if p] or [lines[-1].strip()]
    text = "; ".join(dict.fromkeys(parts))
    if where:
        text += f" (raised in {where.group(1)}, line {where.group(2)})"
    return _clip(text, limit)


def _clip(text, limit):
    return text if len(text) <= limit else text[: limit - 3] + "..."
