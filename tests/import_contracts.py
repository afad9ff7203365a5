"""An import-linter contract type: the modules a package MAY import, everything else is broken.

Lists what is allowed rather than what is forbidden, so a new dependency of the project (or a
new I/O module of the standard library) is refused until someone decides it belongs there.
Registered in pyproject's `[tool.importlinter] contract_types` and run by `scripts/check`.
"""

from __future__ import annotations

from typing import Any

from importlinter import Contract, ContractCheck, fields, output


class AllowedImportsContract(Contract):
    """`source_modules` (and their submodules) import only `allowed_modules` (and theirs)."""

    type_name = "allowed"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        sources = {m.name for m in self.source_modules}  # type: ignore[attr-defined]
        allowed = set(self.allowed_modules) | sources  # type: ignore[arg-type]
        found = []
        for module in sorted(graph.modules):
            if not _within(module, sources):
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(module)):
                if not _within(imported, allowed):
                    details = graph.get_import_details(importer=module, imported=imported)
                    line = details[0]["line_number"] if details else 0
                    found.append((module, imported, line))
        return ContractCheck(kept=not found, metadata={"found": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for module, imported, line in check.metadata["found"]:
            output.print_error(f"{module}:{line} imports {imported}, which is not allowed")
            output.new_line()


def _within(module: str, packages: set[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)
