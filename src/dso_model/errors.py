"""User-facing errors: a bad file or a bad setting, never a bug.

Entry points catch :class:`DsoInputError` and print its message without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence


class DsoInputError(Exception):
    """Bad input from the user: names the file, the column and example rows."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        table: str | None = None,
        column: str | None = None,
        rows: Sequence[object] = (),
        examples: Sequence[object] = (),
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.table = table
        self.column = column
        self.rows = list(rows)[:5]
        self.examples = list(examples)[:5]
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.table:
            where.append(f"table '{self.table}'")
        if self.column:
            where.append(f"column '{self.column}'")
        head = f"{', '.join(where)}: {self.problem}" if where else self.problem
        lines = [head]
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows)
            lines.append(f"  rows: {shown}")
        if self.examples:
            shown = ", ".join(repr(v) for v in self.examples)
            lines.append(f"  values: {shown}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class ModelMismatchError(DsoInputError):
    """A saved model does not fit the code or data it is asked to score."""
