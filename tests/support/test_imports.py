"""Helpers come from modules that hold them: no test file imports a conftest or a test module.

`from tests.x.test_y import *` is allowed: it runs a contract suite's tests again elsewhere."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if [alias.name for alias in node.names] == ["*"]:
                continue  # a test module's tests run again elsewhere (a contract suite)
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


def test_no_test_file_imports_a_conftest_or_a_test_module():
    wrong = sorted(
        f"{path.relative_to(TESTS.parent)}: {module}"
        for path in TESTS.rglob("*.py")
        for module in imported_modules(path)
        if module.startswith("tests.")
        and module.rsplit(".", 1)[-1].startswith(("conftest", "test_"))
    )
    assert not wrong, "move what these share to tests/support/:\n" + "\n".join(wrong)
