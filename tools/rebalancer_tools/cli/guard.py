"""The CLI's top-level guard: every failure reaches the user as one `error:` line, never a traceback.

Exit codes: 2 a typed error (bad input, with a hint) or an operating-system error (a path that cannot be
read or written); 70 an unexpected error (a bug: `--debug` shows the traceback); 130 interrupted (Ctrl-C);
141 the reader of our output went away (`| head`), which is not an error worth a word.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable

from rebalancer.errors import RebalancerError

EXIT_ERROR = 2
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141


def guarded(command: Callable[[], int], *, debug: bool = False) -> int:
    """Run `command`; turn whatever escapes it into one line on stderr and an exit code."""
    try:
        return command()
    except RebalancerError as err:
        return _fail(f"error: {err}", debug)
    except KeyboardInterrupt:
        return _fail("interrupted", debug, code=EXIT_INTERRUPTED)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as err:
        return _fail(f"error: {describe_os_error(err)}", debug)
    except RecursionError:
        return _fail(
            "error: the input is nested too deeply to process (too-deep). Hint: flatten the file's structure",
            debug,
        )
    except Exception as err:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        return _fail(
            f"error: unexpected {type(err).__name__}: {err} (internal-error). "
            "Hint: this is a bug in rebalancer; run again with --debug and report the traceback",
            debug,
            code=EXIT_INTERNAL,
        )


def describe_os_error(err: OSError) -> str:
    """`PATH: reason` for an OSError, without Python's `[Errno 2]` decoration."""
    reason = err.strerror or str(err)
    paths = [str(p) for p in (err.filename, err.filename2) if p is not None]
    return f"{' -> '.join(paths)}: {reason}" if paths else reason


def _fail(line: str, debug: bool, *, code: int = EXIT_ERROR) -> int:
    if debug:
        traceback.print_exc()
    with contextlib.suppress(OSError):  # stderr itself may be gone: nothing left to tell then
        print(line, file=sys.stderr)
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not raise a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # stdout has no descriptor (captured in tests): the final flush cannot fail then
