"""Which seedlock modules a script reaches, and the digest that reruns a step when they change."""

from pathlib import Path

from seedlock.code_digest import code_digest, imported_names, modules_reached


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def make_tree(root: Path) -> Path:
    """A workflow folder with a script and a small seedlock package."""
    write(root / "seedlock" / "__init__.py", "")
    write(root / "seedlock" / "a.py", "from seedlock.b import helper\n")
    write(root / "seedlock" / "b.py", "def helper():\n    return 1\n")
    write(root / "seedlock" / "unused.py", "X = 1\n")
    write(root / "seedlock" / "sub" / "__init__.py", "")
    write(root / "seedlock" / "sub" / "c.py", "import json\n")
    return write(
        root / "scripts" / "step.py",
        "import sys\n\ndef main():\n    from seedlock import a\n    import seedlock.sub.c\n",
    )


def test_imported_names_keeps_the_package_and_looks_inside_functions():
    source = (
        "import os\nfrom . import local\nfrom seedlock.x import y, z\n"
        "def f():\n    import seedlock.w as w\n"
    )
    assert imported_names(source) == {"seedlock.x", "seedlock.x.y", "seedlock.x.z", "seedlock.w"}


def test_modules_reached_follows_imports_through_the_package(tmp_path):
    script = make_tree(tmp_path)
    reached = [path.relative_to(tmp_path).as_posix() for path in modules_reached(script, tmp_path)]
    assert reached == [
        "seedlock/__init__.py",
        "seedlock/a.py",
        "seedlock/b.py",
        "seedlock/sub/__init__.py",
        "seedlock/sub/c.py",
    ]


def test_digest_changes_with_a_reached_module_only(tmp_path):
    script = make_tree(tmp_path)
    before = code_digest(script, tmp_path)
    assert code_digest(script, tmp_path) == before
    (tmp_path / "seedlock" / "unused.py").write_text("X = 2\n")
    assert code_digest(script, tmp_path) == before
    (tmp_path / "seedlock" / "b.py").write_text("def helper():\n    return 2\n")
    assert code_digest(script, tmp_path) != before


def test_every_workflow_script_reaches_the_runtime_module():
    root = Path(__file__).resolve().parents[2]
    scripts = sorted((root / "scripts").glob("*.py"))
    assert scripts
    for script in scripts:
        assert root / "seedlock" / "runtime.py" in modules_reached(script, root), script.name
