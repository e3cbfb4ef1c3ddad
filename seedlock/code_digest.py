"""Which of seedlock's modules a step's script runs, and one digest of their code.

Snakemake reruns a job when its script changes, but not when a module the script imports does:
after a change to, say, the estimator helpers, the old models would stay and be verified as if
they came from the new code. A rule that passes the digest of every seedlock module its script
reaches as a param is rerun by Snakemake's `params` rerun trigger when any of them changes, and
only then: a step whose modules are untouched keeps its outputs.
"""

import ast
import functools
from collections.abc import Iterable
from pathlib import Path

from seedlock.checksums import file_sha256, listing_digest

PACKAGE = "seedlock"


def imported_names(source: str, filename: str = "<script>") -> set[str]:
    """Every dotted name under the package that ``source`` imports, at any depth of the code
    (scripts import inside functions). ``from seedlock.x import y`` gives both ``seedlock.x`` and
    ``seedlock.x.y``, since ``y`` may be a module."""
    names = set()
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name == PACKAGE or name.startswith(PACKAGE + ".")}


def module_files(name: str, root: Path) -> list[Path]:
    """The files Python runs to import ``name`` from ``root``: each package's ``__init__.py`` on
    the way, then the module itself. Names that are not modules (a function imported by name)
    give no file of their own."""
    files = []
    parts = name.split(".")
    for depth in range(1, len(parts) + 1):
        base = root.joinpath(*parts[:depth])
        for candidate in (base / "__init__.py", base.with_suffix(".py")):
            if candidate.is_file():
                files.append(candidate)
                break
    return files


def direct_imports(path: Path, root: Path) -> list[Path]:
    """The package's module files that ``path`` imports itself."""
    names = imported_names(path.read_text(encoding="utf-8"), str(path))
    return [module for name in sorted(names) for module in module_files(name, root)]


def modules_reached(script: Path, root: Path, imports=direct_imports) -> list[Path]:
    """The package's modules that running ``script`` can import, directly or through each other,
    sorted. ``root`` is the folder that holds the package."""
    seen: set[Path] = set()
    pending = [script]
    while pending:
        for module in imports(pending.pop(), root):
            if module not in seen:
                seen.add(module)
                pending.append(module)
    return sorted(seen)


def code_digests(scripts: Iterable[Path], root: Path) -> dict[Path, str]:
    """For each script, sha256 over the path and content of every package module it reaches.

    The scripts share most modules (runtime, writers, errors), so each module is parsed and hashed
    once per call: this runs every time Snakemake reads the workflow.
    """
    imports = functools.cache(direct_imports)
    content = functools.cache(file_sha256)
    return {
        script: listing_digest(
            (module.relative_to(root).as_posix(), content(module))
            for module in modules_reached(script, root, imports)
        )
        for script in scripts
    }


def code_digest(script: Path, root: Path) -> str:
    """sha256 over the path and content of every package module ``script`` reaches."""
    return code_digests([script], root)[script]
