"""Which modules of seedlock and of the workflow's own packages a step's script runs, and one
digest of their code.

Snakemake reruns a job when its script changes, but not when a module the script imports does:
after a change to a helper module, the old outputs would stay and be verified as if
they came from the new code. A rule that passes the digest of every module its script reaches as
a param is rerun by Snakemake's `params` rerun trigger when any of them changes, and only then: a
step whose modules are untouched keeps its outputs.
"""

import ast
import functools
from collections.abc import Iterable
from pathlib import Path

from seedlock.checksums import file_sha256, listing_digest

TOOLCHAIN = "seedlock"
TOOLCHAIN_ROOT = Path(__file__).resolve().parents[1]


def package_roots(workflow: Path) -> dict[str, Path]:
    """Each package a workflow's scripts may import that a digest follows, and the folder that
    holds it: seedlock, wherever it is installed, and every package at the top of ``workflow``
    (tests aside)."""
    roots = {
        path.parent.name: workflow
        for path in sorted(workflow.glob("*/__init__.py"))
        if path.parent.name != "tests"
    }
    return {**roots, TOOLCHAIN: roots.get(TOOLCHAIN, TOOLCHAIN_ROOT)}


def imported_names(source: str, filename: str = "<script>", packages=(TOOLCHAIN,)) -> set[str]:
    """Every dotted name under ``packages`` that ``source`` imports, at any depth of the code
    (scripts import inside functions). ``from seedlock.x import y`` gives both ``seedlock.x`` and
    ``seedlock.x.y``, since ``y`` may be a module."""
    names = set()
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.split(".")[0] in packages}


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


def direct_imports(path: Path, roots: tuple) -> list[Path]:
    """The packages' module files that ``path`` imports itself; ``roots`` pairs each package's
    name with the folder that holds it."""
    held = dict(roots)
    names = imported_names(path.read_text(encoding="utf-8"), str(path), tuple(held))
    return [
        module for name in sorted(names) for module in module_files(name, held[name.split(".")[0]])
    ]


def _roots(root) -> tuple:
    """``{package: folder}`` as a hashable tuple; a bare folder means seedlock in that folder."""
    return tuple(sorted(root.items())) if isinstance(root, dict) else ((TOOLCHAIN, root),)


def modules_reached(script: Path, root, imports=direct_imports) -> list[Path]:
    """The packages' modules that running ``script`` can import, directly or through each other,
    sorted. ``root`` maps each package to the folder that holds it (or is that folder, for
    seedlock alone)."""
    roots = _roots(root)
    seen: set[Path] = set()
    pending = [script]
    while pending:
        for module in imports(pending.pop(), roots):
            if module not in seen:
                seen.add(module)
                pending.append(module)
    return sorted(seen)


def code_digests(scripts: Iterable[Path], root) -> dict[Path, str]:
    """For each script, sha256 over the path (within its package's folder) and content of every
    package module it reaches; ``root`` as for ``modules_reached``.

    The scripts share most modules (runtime, writers, errors), so each module is parsed and hashed
    once per call: this runs every time Snakemake reads the workflow.
    """
    imports = functools.cache(direct_imports)
    content = functools.cache(file_sha256)
    folders = {folder for _, folder in _roots(root)}

    def within(module: Path) -> str:
        folder = next(f for f in folders if module.is_relative_to(f))
        return module.relative_to(folder).as_posix()

    return {
        script: listing_digest(
            (within(module), content(module)) for module in modules_reached(script, root, imports)
        )
        for script in scripts
    }


def code_digest(script: Path, root) -> str:
    """sha256 over the path and content of every package module ``script`` reaches."""
    return code_digests([script], root)[script]
