"""Render the data contract page (``docs/contract.md``) from the table declarations.

``python -m dso_model.contract.docs`` rewrites the page; a test fails when the committed page and
the declarations differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dso_model.contract.spec import TABLES, TEMPLATES, ColumnSpec

HEADER = """# The data contract

Every adapter and the simulator produce these five tables; every model, profile, policy and metric
reads only them. Dates are calendar days, timestamps are local time of the portfolio. Generated from
`src/dso_model/contract/spec.py` by `python -m dso_model.contract.docs`: edit the spec, not this page.

Point in time: a table row is known from its own date on (issue date, payment date, contact or event
timestamp). Features for a cut-off use only rows dated strictly before it; `Portfolio.snapshot(t)`
gives the portfolio as it was known at the start of day `t`.
"""


def _rule(col: ColumnSpec) -> str:
    parts = []
    if col.unique:
        parts.append("unique")
    if col.allowed:
        parts.append("one of " + ", ".join(f"`{a}`" for a in col.allowed))
    if col.min_value is not None:
        parts.append(f"{'>' if col.min_exclusive else '>='} {col.min_value:g}")
    if col.max_value is not None:
        parts.append(f"<= {col.max_value:g}")
    if col.references:
        parts.append(f"refers to `{col.references}`")
    return "; ".join(parts)


def render_contract() -> str:
    lines = [HEADER]
    for spec in TABLES.values():
        lines += [f"## `{spec.name}`", "", spec.description, ""]
        lines += ["| column | type | required | may be empty | rules | meaning |"]
        lines += ["|---|---|---|---|---|---|"]
        for col in spec.columns:
            lines.append(
                f"| `{col.name}` | {col.dtype} | {'yes' if col.required else 'no'} | "
                f"{'yes' if col.nullable else 'no'} | {_rule(col)} | {col.description} |"
            )
        if spec.rules:
            lines += ["", "Rules across columns and tables:", ""]
            lines += [f"- {rule}" for rule in spec.rules]
        lines.append("")
    lines += ["## Message templates", "", "| template | purpose | tone |", "|---|---|---|"]
    lines += [f"| `{t}` | {p} | {tone} |" for t, (p, tone) in TEMPLATES.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path(__file__).resolve().parents[3] / "docs" / "contract.md"
    from dso_model.io.atomic import write_text_atomic

    write_text_atomic(target, render_contract())
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
