"""Compare one output with its reference copy: same bytes, numerically equivalent, or different.

Pure standard library, because verify runs in the bookkeeping env, which has no numpy or pandas.
Tables (CSV/TSV) are compared column by column and JSON key by key: the largest absolute and
relative difference of every numeric column or key, and whether any label (a text or integer
value, such as a predicted class) changed. Any other file gets both sizes and the offset of the
first differing byte.
"""

import csv
import io
import json
import math
from dataclasses import dataclass, field

MATCH = "MATCH"
EQUIVALENT = "EQUIVALENT"
DIFFERENT = "DIFFERENT"
MISSING = "MISSING"
UNEXPECTED = "UNEXPECTED"
IGNORED = "IGNORED"

TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t"}


@dataclass
class Tolerance:
    """``numeric``: |a - b| <= atol + rtol * |b| for floats; labels and shapes must match."""

    policy: str = "exact"  # exact | numeric | ignore
    rtol: float = 0.0
    atol: float = 0.0
    reason: str | None = None
    pattern: str | None = None

    def allows(self, current: float, reference: float) -> bool:
        if math.isnan(current) or math.isnan(reference):
            return math.isnan(current) and math.isnan(reference)
        return abs(current - reference) <= self.atol + self.rtol * abs(reference)


@dataclass
class Difference:
    """What differs between two versions of one file."""

    kind: str  # table | json | bytes
    numeric: dict[str, dict] = field(default_factory=dict)  # column/key -> max abs/rel diff
    labels_changed: dict[str, int] = field(default_factory=dict)  # column/key -> count
    structure: list[str] = field(default_factory=list)  # shape, columns, keys
    within_tolerance: bool = False
    sizes: tuple[int, int] | None = None  # (current, reference)
    first_differing_byte: int | None = None

    def as_dict(self) -> dict:
        result = {"kind": self.kind, "within_tolerance": self.within_tolerance}
        if self.numeric:
            result["numeric"] = self.numeric
        if self.labels_changed:
            result["labels_changed"] = self.labels_changed
        if self.structure:
            result["structure"] = self.structure
        if self.sizes is not None:
            result["size"] = {"current": self.sizes[0], "reference": self.sizes[1]}
            result["first_differing_byte"] = self.first_differing_byte
        return result


def first_differing_byte(current: bytes, reference: bytes) -> int | None:
    for offset, (a, b) in enumerate(zip(current, reference, strict=False)):
        if a != b:
            return offset
    return None if len(current) == len(reference) else min(len(current), len(reference))


def byte_difference(
    current: bytes, reference: bytes | None, current_size: int, reference_size: int | None
) -> Difference:
    offset = None if reference is None else first_differing_byte(current, reference)
    return Difference(
        kind="bytes", sizes=(current_size, reference_size), first_differing_byte=offset
    )


def _number(text: str) -> float | None:
    """A float for a numeric cell that is not an integer; None for labels and integers."""
    try:
        int(text)
        return None  # an integer: a class, a count, an index — compared exactly
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def _relative(current: float, reference: float) -> float:
    if current == reference:
        return 0.0
    scale = abs(reference)
    return math.inf if scale == 0 else abs(current - reference) / scale


def _record_numeric(summary: dict, name: str, current: float, reference: float) -> None:
    entry = summary.setdefault(name, {"max_abs": 0.0, "max_rel": 0.0, "count": 0})
    if math.isnan(current) and math.isnan(reference):
        return
    absolute = (
        abs(current - reference) if not (math.isnan(current) or math.isnan(reference)) else math.inf
    )
    entry["max_abs"] = max(entry["max_abs"], absolute)
    entry["max_rel"] = max(entry["max_rel"], _relative(current, reference))
    entry["count"] += 1


def _finish_numeric(summary: dict) -> dict:
    # Only the columns or keys that differ, with JSON-safe numbers.
    finished = {}
    for name, entry in summary.items():
        if entry["count"]:
            finished[name] = {
                "max_abs": entry["max_abs"] if math.isfinite(entry["max_abs"]) else None,
                "max_rel": entry["max_rel"] if math.isfinite(entry["max_rel"]) else None,
                "values_changed": entry["count"],
            }
    return finished


def compare_tables(
    current: str, reference: str, delimiter: str, tolerance: Tolerance
) -> Difference:
    rows_now = list(csv.reader(io.StringIO(current), delimiter=delimiter))
    rows_ref = list(csv.reader(io.StringIO(reference), delimiter=delimiter))
    difference = Difference(kind="table")
    header_now, header_ref = (rows_now or [[]])[0], (rows_ref or [[]])[0]
    if header_now != header_ref:
        difference.structure.append(f"columns differ: now {header_now}, reference {header_ref}")
    if len(rows_now) != len(rows_ref):
        difference.structure.append(
            f"row count differs: now {len(rows_now) - 1}, reference {len(rows_ref) - 1}"
        )
    numeric: dict[str, dict] = {}
    within = True
    for row_now, row_ref in zip(rows_now[1:], rows_ref[1:], strict=False):
        for index, (cell_now, cell_ref) in enumerate(zip(row_now, row_ref, strict=False)):
            if cell_now == cell_ref:
                continue
            column = header_ref[index] if index < len(header_ref) else f"column {index}"
            value_now, value_ref = _number(cell_now), _number(cell_ref)
            if value_now is None or value_ref is None:
                difference.labels_changed[column] = difference.labels_changed.get(column, 0) + 1
                within = False
                continue
            _record_numeric(numeric, column, value_now, value_ref)
            within = within and tolerance.allows(value_now, value_ref)
    difference.numeric = _finish_numeric(numeric)
    difference.within_tolerance = within and not difference.structure
    return difference


def _flatten(value, prefix: str, into: dict) -> dict:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), into)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}[{index}]", into)
    else:
        into[prefix] = value
    return into


def _json_key_group(key: str) -> str:
    # Report list elements together: "scores[3]" and "scores[7]" are both "scores[]".
    group = []
    for part in key.split("["):
        group.append(part.split("]", 1)[-1] if "]" in part else part)
    return "[]".join(group)


def compare_json(current: str, reference: str, tolerance: Tolerance) -> Difference:
    difference = Difference(kind="json")
    try:
        flat_now = _flatten(json.loads(current), "", {})
        flat_ref = _flatten(json.loads(reference), "", {})
    except json.JSONDecodeError as error:
        difference.structure.append(f"not valid JSON: {error}")
        return difference
    missing = sorted(set(flat_ref) - set(flat_now))
    added = sorted(set(flat_now) - set(flat_ref))
    if missing:
        difference.structure.append(f"keys missing: {', '.join(missing[:10])}")
    if added:
        difference.structure.append(f"keys added: {', '.join(added[:10])}")
    numeric: dict[str, dict] = {}
    within = True
    for key in sorted(set(flat_now) & set(flat_ref)):
        value_now, value_ref = flat_now[key], flat_ref[key]
        if value_now == value_ref and type(value_now) is type(value_ref):
            continue
        group = _json_key_group(key)
        if isinstance(value_now, float) and isinstance(value_ref, float):
            _record_numeric(numeric, group, value_now, value_ref)
            within = within and tolerance.allows(value_now, value_ref)
        else:
            difference.labels_changed[group] = difference.labels_changed.get(group, 0) + 1
            within = False
    difference.numeric = _finish_numeric(numeric)
    difference.within_tolerance = within and not difference.structure
    return difference


def compare_content(
    path: str,
    current: bytes,
    reference: bytes | None,
    tolerance: Tolerance,
    current_size: int,
    reference_size: int | None,
) -> Difference:
    """Explain how ``current`` differs from ``reference`` (the reference copy, if one was kept)."""
    suffix = path[path.rfind(".") :] if "." in path else ""
    if reference is not None:
        try:
            text_now, text_ref = current.decode("utf-8"), reference.decode("utf-8")
        except UnicodeDecodeError:
            text_now = text_ref = None
        if text_now is not None and suffix in TABLE_SUFFIXES:
            return compare_tables(text_now, text_ref, TABLE_SUFFIXES[suffix], tolerance)
        if text_now is not None and suffix == ".json":
            return compare_json(text_now, text_ref, tolerance)
    return byte_difference(current, reference, current_size, reference_size)
