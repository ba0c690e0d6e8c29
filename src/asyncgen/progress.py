"""Progress of the steps that take more than a moment: the library names them, the CLI shows them.

A step is a call that returns a context manager spanning the work:
`with step("Rendering the template"): ...`. The library never prints; the command line
passes a step that shows a status line on a terminal, and `quiet` everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

Step = Callable[[str], AbstractContextManager[object]]


def quiet(what: str) -> AbstractContextManager[object]:
    """Show nothing: the default for library callers, tests and piped output."""
    return nullcontext()
