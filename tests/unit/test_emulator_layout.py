"""The emulator's modules import each other without a circle, counting every import (TYPE_CHECKING and
function-level ones too): the fill engine reaches the account through its Ledger protocol, not state.py."""

from __future__ import annotations

from test_layout import all_modules, closure_of, project_imports


def emulator_edges() -> dict[str, set[str]]:
    modules = all_modules("rebalancer_emulator") - {"rebalancer_emulator"}
    return {m: {t for t in project_imports(m) if t in modules} for m in modules}


def test_no_emulator_module_imports_itself_back_through_another() -> None:
    edges = emulator_edges()
    circles = {(a, b) for a, targets in edges.items() for b in targets if a in closure_of(edges, b)}
    assert circles == set()


def test_the_fill_engine_does_not_import_the_broker_state() -> None:
    edges = emulator_edges()
    assert "rebalancer_emulator.state" not in closure_of(edges, "rebalancer_emulator.fills")
    assert "rebalancer_emulator.fills" in edges["rebalancer_emulator.state"]
