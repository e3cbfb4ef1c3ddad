"""Compare one output with its reference copy: same bytes, numerically equivalent, or different.

Pure standard library, because verify runs in the bookkeeping env, which has no numpy or pandas.
Tables (CSV/TSV) are compared column by column and JSON key by key: the largest absolute and
relative difference of every numeric column or key, whether any label (a text or integer value,
such as a predicted class) changed, and the first few differing cells or keys with both values.
Other text gets the first lines of a unified diff; a pickle, its first differing opcode and the
class and attribute it belongs to (read with ``pickletools``, never unpickled); any other file,
both sizes and the offset of the first differing byte.
"""

import csv
import difflib
import io
import itertools
import json
import math
from dataclasses import dataclass, field

from seedlock.pickle_paths import operations, path_to, replay

MATCH = "MATCH"
EQUIVALENT = "EQUIVALENT"
DIFFERENT = "DIFFERENT"
MISSING = "MISSING"
UNEXPECTED = "UNEXPECTED"
IGNORED = "IGNORED"

TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t"}
PICKLE_SUFFIXES = (".pkl", ".pickle")
# How many differing cells or keys, and diff lines, an explanation shows.
EXAMPLES = 5
DIFF_LINES = 12


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
    examples: list[dict] = field(default_factory=list)  # first differing cells or keys
    diff: list[str] = field(default_factory=list)  # first lines of a unified diff
    pickle: dict | None = None  # the first differing opcode, and where it sits

    def as_dict(self) -> dict:
        result = {"kind": self.kind, "within_tolerance": self.within_tolerance}
        if self.numeric:
            result["numeric"] = self.numeric
        if self.labels_changed:
            result["labels_changed"] = self.labels_changed
        if self.structure:
            result["structure"] = self.structure
        if self.examples:
            result["examples"] = self.examples
        if self.diff:
            result["diff"] = self.diff
        if self.pickle is not None:
            result["pickle"] = self.pickle
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
    # Rows are numbered as in the file, the header being row 0.
    pairs = zip(rows_now[1:], rows_ref[1:], strict=False)
    for row_number, (row_now, row_ref) in enumerate(pairs, start=1):
        for index, (cell_now, cell_ref) in enumerate(zip(row_now, row_ref, strict=False)):
            if cell_now == cell_ref:
                continue
            column = header_ref[index] if index < len(header_ref) else f"column {index}"
            if len(difference.examples) < EXAMPLES:
                difference.examples.append(
                    {
                        "row": row_number,
                        "column": column,
                        "current": cell_now,
                        "reference": cell_ref,
                    }
                )
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
        if len(difference.examples) < EXAMPLES:
            difference.examples.append({"key": key, "current": value_now, "reference": value_ref})
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


def text_difference(
    path: str, current: str, reference: str, current_size: int, reference_size: int
) -> Difference:
    """Text that is no table or JSON (Markdown, logs, SVG): the first lines of a unified diff."""
    difference = byte_difference(
        current.encode("utf-8"), reference.encode("utf-8"), current_size, reference_size
    )
    difference.kind = "text"
    lines = difflib.unified_diff(
        reference.splitlines(),
        current.splitlines(),
        fromfile=f"reference/{path}",
        tofile=f"current/{path}",
        lineterm="",
        n=1,
    )
    difference.diff = [line[:200] for _, line in zip(range(DIFF_LINES), lines, strict=False)]
    return difference


def _opcodes(data: bytes):
    """(opcode name, argument, byte position) of a pickle, read without unpickling it; stops
    quietly at the first byte it cannot read."""
    try:
        yield from ((op.name, arg, position) for op, arg, position in operations(data))
    except Exception:  # a truncated or corrupt pickle: what was read so far
        return


def _shown(value) -> str:
    if isinstance(value, bytes | bytearray):
        return f"{len(value)} bytes"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def pickle_difference(
    current: bytes, reference: bytes, current_size: int, reference_size: int
) -> Difference:
    """The first opcode at which two pickles differ, with the class being built there (the
    last GLOBAL) and the attribute or key it belongs to (the last string before it); for raw
    data (a numpy array's buffer), the first differing byte inside it."""
    difference = byte_difference(current, reference, current_size, reference_size)
    last_class = None
    strings: list[str] = []  # the strings read so far: attribute names, keys, values
    for index, (now, ref) in enumerate(
        itertools.zip_longest(_opcodes(current), _opcodes(reference))
    ):
        if now is not None and ref is not None and now[:2] == ref[:2]:
            name, argument, _ = ref
            if name in ("GLOBAL", "INST") and isinstance(argument, str):
                last_class = argument.replace(" ", ".")
            elif name == "STACK_GLOBAL" and len(strings) >= 2:
                # Protocol 4 and later push the module and the name as two strings first.
                last_class = ".".join(strings[-2:])
                del strings[-2:]
            elif "UNICODE" in name and isinstance(argument, str):
                strings = [*strings[-7:], argument]
            continue
        context = {
            "path": path_to(replay(reference), index) or None,
            "class": last_class,
            "after": strings[-1] if strings else None,
        }
        found = {"opcode_index": index, **{k: v for k, v in context.items() if v}}
        for label, op in (("current", now), ("reference", ref)):
            found[label] = (
                "end of pickle" if op is None else f"{op[0]} {_shown(op[1])} at byte {op[2]}"
            )
        if (
            now is not None
            and ref is not None
            and now[0] == ref[0]
            and isinstance(now[1], bytes | bytearray)
            and isinstance(ref[1], bytes | bytearray)
        ):
            found["data_offset"] = first_differing_byte(bytes(now[1]), bytes(ref[1]))
        difference.kind, difference.pickle = "pickle", found
        return difference
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
        if suffix in PICKLE_SUFFIXES:
            return pickle_difference(current, reference, current_size, reference_size)
        if text_now is not None:
            return text_difference(path, text_now, text_ref, current_size, reference_size)
    return byte_difference(current, reference, current_size, reference_size)
