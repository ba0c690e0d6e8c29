"""Errors a user can cause, and how they reach the terminal.

    AsyncgenError          base: one line of text for a person, exit code 1
    ├── UsageError         bad input on the command line or in an answers file (exit 2)
    ├── NoTerminalError    a question is left to ask but there is no terminal (exit 2)
    ├── Interrupted        Ctrl-C at a prompt or during generation (exit 130)
    ├── ConflictsError     an update left conflicts to resolve (exit 1)
    └── StoreError         the template store cannot be made ready: not a folder, not
                           writable, or locked by another run (exit 1)

The CLI maps these to exit codes in exactly one place (`cli.main`); nothing else prints them.
"""

from __future__ import annotations


class AsyncgenError(Exception):
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(AsyncgenError):
    exit_code = 2


class NoTerminalError(UsageError):
    def __init__(self) -> None:
        super().__init__(
            "no terminal to ask questions on: pass --yes to take the defaults and the "
            "recommendation, or --answers FILE to replay saved answers"
        )


class Interrupted(AsyncgenError):
    exit_code = 130

    def __init__(self) -> None:
        super().__init__("interrupted: nothing was written")


class ConflictsError(AsyncgenError):
    def __init__(self, files: list[str]) -> None:
        super().__init__(
            "update left conflicts to resolve in: "
            + ", ".join(files)
            + " (edit out the <<<<<<< / >>>>>>> markers, then commit)"
        )
        self.files = files


class StoreError(AsyncgenError):
    pass
