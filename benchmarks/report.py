"""Rows of the results table: a figure, its baseline, the ratio and the target."""

from __future__ import annotations

from dataclasses import asdict, dataclass

COLUMNS = ("benchmark", "pintag", "baseline", "ratio", "target", "met")


@dataclass(frozen=True, slots=True)
class Target:
    """A bound on a ratio: `ratio <= limit` or `ratio >= limit`."""

    op: str  # "<=" or ">="
    limit: float

    def met(self, ratio: float) -> bool:
        """Whether the ratio is within the bound."""
        return ratio <= self.limit if self.op == "<=" else ratio >= self.limit

    def __str__(self) -> str:
        return f"{self.op} {self.limit:g}"


@dataclass(slots=True)
class Row:
    """One line of the table; `note` says what limits the figure."""

    name: str
    pintag: str
    baseline: str
    ratio: float | None = None
    target: Target | None = None
    note: str = ""

    @property
    def met(self) -> str:
        """yes, no, or - when there is no target or no figure."""
        if self.target is None or self.ratio is None:
            return "-"
        return "yes" if self.target.met(self.ratio) else "NO"

    def cells(self) -> tuple[str, ...]:
        """The row as table cells."""
        ratio = "-" if self.ratio is None else f"{self.ratio:.2f}"
        if self.target and self.ratio is not None and float(ratio) == self.target.limit:
            # 0.797 shown as 0.80 next to ">= 0.8" and "NO" would read as a bug.
            ratio = f"{self.ratio:.3f}"
        target = str(self.target) if self.target else "-"
        return (self.name, self.pintag, self.baseline, ratio, target, self.met)

    def as_json(self) -> dict:
        """The row for results.json."""
        document = asdict(self)
        document["target"] = str(self.target) if self.target else None
        document["met"] = self.met
        return document


def unavailable(name: str, baseline: str, target: Target, why: str) -> Row:
    """A row for a feature pintag does not have yet."""
    return Row(name, "not available", baseline, None, target, why)


def failed(name: str, target: Target | None, why: str) -> Row:
    """A row for a benchmark whose commands failed."""
    return Row(name, "failed", "-", None, target, why)


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table, with the notes listed below it."""
    cells = [COLUMNS, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = []
    for n, line in enumerate(cells):
        padded = (text.ljust(width) for text, width in zip(line, widths, strict=True))
        lines.append("| " + " | ".join(padded) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    notes = [f"- {row.name}: {row.note}" for row in rows if row.note]
    return "\n".join(lines + ([""] + notes if notes else []))


def count(n: float) -> str:
    """A count with thousands separators."""
    return f"{n:,.0f}"


def megabytes(n: int) -> str:
    """Bytes as MB, one decimal."""
    return f"{n / 1e6:.1f} MB"
