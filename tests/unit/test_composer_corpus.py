"""Every public Composer export of the corpus parses, prints back to the same tree, and evaluates.

The corpus (tests/fixtures/composer_corpus, sources in its SOURCES.md) is real symphonies of every size,
up to hundreds of symbols. Evaluation reads `$REBALANCER_MARKET_DATA` and skips cleanly without it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from corpus_data import (
    CORPUS,
    FILES,
    PARTIAL,
    PARTIAL_COUNTS,
    SOURCE_RE,
    available,
    corpus_history,
    market_dir,
)

from rebalancer.symphony.evaluator import evaluate, required_history
from rebalancer.symphony.reader import load_symphony, read_symphony
from rebalancer.symphony.weights import WEIGHT_TOLERANCE
from rebalancer_tools.printer import format_symphony

IDS = [path.name for path in FILES]
# Ten years of sessions are evaluated (plus each file's own warm-up), as a live account would.
SESSIONS = 2520


def test_the_corpus_has_dozens_of_files_of_every_size_each_with_its_source():
    assert len(FILES) >= 40
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    for path in FILES:
        first = path.read_text(encoding="utf-8").splitlines(keepends=True)[0]
        match = SOURCE_RE.fullmatch(first)
        assert match, f"{path.name} lacks its source line"
        assert f"`{path.name}`" in sources
        assert match.group(1) in sources
    sizes = sorted(len(load_symphony(path).symbols) for path in FILES)
    assert sizes[0] <= 5
    assert sizes[-1] >= 500


@pytest.fixture(scope="module", autouse=True)
def _deep_trees():
    # The largest exports nest a few hundred levels; the builder recurses once per level.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    yield
    sys.setrecursionlimit(limit)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_file_parses_and_prints_back_to_the_same_tree(path: Path):
    symphony = load_symphony(path)
    assert symphony.holdings
    assert read_symphony(format_symphony(symphony)) == symphony


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_file_evaluates_on_the_market_data(path: Path):
    directory = market_dir()
    if directory is None:
        pytest.skip("REBALANCER_MARKET_DATA is not set (the Makefile sets it)")
    symphony = load_symphony(path)
    missing = symphony.symbols - available(directory)
    if path.name in PARTIAL_COUNTS:
        assert len(missing) == PARTIAL_COUNTS[path.name]
    else:
        assert missing == PARTIAL.get(path.name, frozenset())
    history = corpus_history(symphony, directory)
    start = max(0, len(history) - SESSIONS - required_history(symphony))
    weights = evaluate(symphony, history.rows(start, len(history)))
    valid = weights.valid
    assert valid[-1], "the latest session must be decided"
    rows = weights.weights[valid]
    assert np.all(rows >= 0.0)
    np.testing.assert_allclose(rows.sum(axis=1), 1.0, atol=WEIGHT_TOLERANCE)
    held = set(weights.last_valid_row()[1])
    assert held <= symphony.holdings
