"""Read Composer symphony files into the typed, validated tree.

    >>> sym = read_symphony('''
    ... (defsymphony "Demo" {:asset-class "EQUITIES", :rebalance-frequency :daily}
    ...   (weight-equal
    ...     [(if (> (rsi "EQUITIES::SPY" {:window 10}) 79)
    ...        [(asset "UVXY" "ProShares Ultra VIX")]
    ...        [(asset "SPY" nil)])]))''')
    >>> sorted(sym.symbols), sym.settings
    (['SPY', 'UVXY'], (('asset-class', '"EQUITIES"'), ('rebalance-frequency', ':daily')))

Stages: lexer (tokens with line:col) -> forms (balanced brackets) -> builder (typed nodes, validation,
named parameters). Any user mistake raises StrategyError with `where` = file:line:col.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rebalancer.errors import StrategyError
from rebalancer.symphony.builder import build_symphony
from rebalancer.symphony.forms import parse_forms
from rebalancer.symphony.lexer import iter_tokens
from rebalancer.symphony.nodes import Symphony

BOM = "\ufeff"
# The largest built-in (klm) is 42 KB; a file a hundred times that is not a strategy anyone wrote (a 50 MB
# file ran for minutes at 3 GB).
MAX_SYMPHONY_CHARS = 4_000_000


def _too_large(filename: str) -> StrategyError:
    return StrategyError(
        f"the symphony file is larger than {MAX_SYMPHONY_CHARS // 1_000_000} million characters",
        code="file-too-large",
        hint="check that this is a symphony file (the largest built-in is 42 KB)",
        where=filename,
    )


def read_symphony(
    text: str, *, filename: str = "<string>", parameters: Mapping[str, float] | None = None
) -> Symphony:
    """Parse and validate one symphony; `parameters` overrides declared named parameters."""
    if len(text) > MAX_SYMPHONY_CHARS:
        raise _too_large(filename)
    text = text.removeprefix(BOM)  # editors on Windows write one; it is not part of the first form
    forms = parse_forms(iter_tokens(text, filename))
    try:
        return build_symphony(forms, filename=filename, source=text, parameters=parameters)
    except RecursionError:
        # The tree builder recurses once per nesting level; only absurdly deep files get here.
        raise StrategyError(
            "the symphony is nested too deeply to read",
            code="too-deep",
            hint="flatten the tree: split long if-chains into groups",
            where=filename,
        ) from None


def load_symphony(path: str | Path, *, parameters: Mapping[str, float] | None = None) -> Symphony:
    """Read a symphony file (UTF-8); errors name the path as given."""
    filename = str(path)
    try:
        if Path(path).stat().st_size > MAX_SYMPHONY_CHARS * 4:  # the most bytes that many characters take
            raise _too_large(filename)
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StrategyError(
            "symphony file not found",
            code="file-not-found",
            hint="check the path, or use a built-in name such as nuclear",
            where=filename,
        ) from None
    except UnicodeDecodeError as err:
        raise StrategyError(
            f"symphony file is not valid UTF-8 ({err.reason} at byte {err.start})",
            code="bad-encoding",
            hint="save the file as UTF-8",
            where=filename,
        ) from None
    except OSError as err:
        raise StrategyError(
            f"cannot read symphony file: {err.strerror}", code="file-unreadable", where=filename
        ) from err
    return read_symphony(text, filename=filename, parameters=parameters)
