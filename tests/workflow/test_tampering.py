"""References are evidence: an edit to the manifest, the provenance or a value copy, a link out
of the folder, or a file no program could have written is refused with one line (exit 2) and
nothing written; settings that differ from the references' fail verification."""

import hashlib
import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_seedlock, tree_digests
from tests.workflow.blessed import TINY, flip_byte, reference_folder, run_workflow, seedlock

pytestmark = pytest.mark.workflow

TAMPERED = "results/train/wine/random_forest/rep1.pkl"


def without_entry(text: str, path: str) -> str:
    """The manifest without ``path``'s line and the size comment above it."""
    lines = text.splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.endswith(f"  {path}\n"))
    return "".join(lines[: index - 1] + lines[index + 1 :])


def edit_provenance(folder: Path, change) -> None:
    path = folder / "provenance.json"
    provenance = json.loads(path.read_text())
    change(provenance)
    path.write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")


def refused(workdir, capsys, monkeypatch, *arguments) -> str:
    """Run the CLI, check that it refused with one line and wrote nothing; return the line."""
    before = tree_digests(workdir)
    code, out, err = seedlock(workdir, capsys, monkeypatch, *arguments)
    assert code == 2, out + err
    assert out == "" and err.count("\n") == 1 and err.startswith("seedlock: error: "), err
    assert tree_digests(workdir) == before
    return err


def test_a_removed_manifest_line_does_not_hide_a_tampered_output(damaged, capsys, monkeypatch):
    manifest = reference_folder(damaged) / "checksums.sha256"
    manifest.write_text(without_entry(manifest.read_text(), TAMPERED))
    flip_byte(damaged / TAMPERED)
    error = refused(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert "checksums.sha256: its sha256" in error and "the manifest was edited" in error


def test_an_emptied_manifest_fails_the_workflows_own_verify(damaged):
    manifest = reference_folder(damaged) / "checksums.sha256"
    manifest.write_text(manifest.read_text().splitlines()[0] + "\n")
    completed = run_workflow(damaged, check=False)
    assert completed.returncode != 0
    assert not (damaged / "results/verify/verdict.txt").exists()
    log = (damaged / "logs/verify_report/verify_report.log").read_text()
    assert "the manifest was edited" in log
    assert "Traceback" not in log


PROVENANCE_EDITS = {
    "cpu": (lambda p: p["cpu"].update(model="Some Other CPU"), "cpu: "),
    "steps": (lambda p: p.update(steps=[]), "steps: [] disagrees"),
    "environment_digest": (
        lambda p: p.update(environment_digest="0" * 64),
        "profile: ",
    ),
    "fingerprints": (
        lambda p: p["fingerprints"]["ml"]["python"].update(version="3.12.1"),
        "tools: ",
    ),
    "tools": (lambda p: p["tools"].update(numpy="1.0.0"), "tools: "),
    "manifest": (lambda p: p["manifest"].update(outputs=58), "the manifest was edited"),
}


@pytest.mark.parametrize("field", sorted(PROVENANCE_EDITS))
def test_an_edited_provenance_field_is_refused(damaged, capsys, monkeypatch, field):
    change, message = PROVENANCE_EDITS[field]
    edit_provenance(reference_folder(damaged), change)
    error = refused(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert message in error and "bless again" in error, error


@pytest.mark.parametrize(
    ("field", "change", "problem"),
    [
        ("threads", lambda p: p["threads"].update(default=2), "the threads setting differs"),
        ("seeds", lambda p: p["seeds"].update(root=8), "the seeds differ"),
    ],
)
def test_settings_that_differ_from_the_references_fail(
    damaged, capsys, monkeypatch, field, change, problem
):
    edit_provenance(reference_folder(damaged), change)
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert code == 1, out
    assert out.startswith("seedlock verify: FAIL") and "59 MATCH" in out
    assert f"problem: {problem}" in out


def test_a_config_digest_that_is_not_its_folder_s_is_refused(damaged, capsys, monkeypatch):
    edit_provenance(reference_folder(damaged), lambda p: p.update(config_sha256="0" * 64))
    error = refused(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert "config_sha256" in error and "the config its folder tiny-" in error, error


def test_a_deleted_value_copy_is_refused(damaged, capsys, monkeypatch):
    (reference_folder(damaged) / "values/results/aggregate/table1.csv").unlink()
    error = refused(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert "values/results/aggregate/table1.csv: missing, although bless keeps a copy" in error


def test_references_reached_through_a_link_are_refused(damaged, capsys, monkeypatch, tmp_path):
    (damaged / "references").rename(tmp_path / "elsewhere")
    (damaged / "references").symlink_to(tmp_path / "elsewhere")
    error = refused(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert "references: a symbolic link" in error


def test_status_names_unreadable_references(damaged, capsys, monkeypatch):
    (reference_folder(damaged) / "provenance.json").write_text("[" * 100_000)
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "status")
    assert code == 2
    assert "references for it: unreadable: references/" in out
    assert "nested too deeply" in out


def test_an_edited_value_copy_is_refused(damaged, capsys, monkeypatch):
    copy = reference_folder(damaged) / "values/results/aggregate/table1.csv"
    flip_byte(copy)
    error = refused(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert "values/results/aggregate/table1.csv: does not match its entry" in error


@pytest.mark.parametrize("link", ["checksums.sha256", "values/results/aggregate/table1.csv"])
def test_no_link_out_of_the_references_is_followed(damaged, capsys, monkeypatch, link):
    path = reference_folder(damaged) / link
    path.unlink()
    path.symlink_to("/etc/passwd")
    error = refused(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert f"{link}: a symbolic link" in error
    assert "root:" not in error


def test_an_output_linked_out_of_the_workflow_is_refused(damaged, capsys, monkeypatch):
    path = damaged / "results/aggregate/table1.md"
    path.unlink()
    path.symlink_to("/etc/passwd")
    error = refused(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert "results/aggregate/table1.md: a symbolic link out of the workflow folder" in error


DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "9" * 5000


MALFORMED = {
    "deep-json": ("references/*/*/provenance.json", DEEP, "nested too deeply"),
    "huge-int": ("references/*/*/provenance.json", '{"schema_version": ' + HUGE + "}", "digits"),
    "huge-size": ("references/*/*/checksums.sha256", f"# size {HUGE}\n", "has 5000 digits"),
    "empty-fingerprint": ("results/environment/ml.json", "{}", "ml.json: (top level): 'env'"),
    "list-fingerprint": ("results/environment/ml.json", "[]", "(top level): [] is not of type"),
    "bytes-fingerprint": ("results/environment/ml.json", b"\xff\xfe", "not UTF-8"),
}
# status names unreadable references in its output (tested above); bless replaces them, saying so.
COMBINATIONS = [
    (command, case)
    for case, (relative, _, _) in MALFORMED.items()
    for command in ("verify", "status", "bless")
    if command == "verify" or not relative.startswith("references")
]


@pytest.mark.parametrize(("command", "case"), COMBINATIONS)
def test_malformed_files_give_one_line(damaged, capsys, monkeypatch, command, case):
    relative, content, message = MALFORMED[case]
    (path,) = damaged.glob(relative)
    if relative.endswith("checksums.sha256"):
        content = path.read_text() + content
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    error = refused(damaged, capsys, monkeypatch, command)
    assert message in error, error


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda record: {**record, "configfiles": "x"}, "configfiles: 'x' is not of type"),
        (lambda record: [], "run.json: (top level): [] is not of type 'object'"),
        (lambda record: {**record, "steps": {}}, "steps: {} should be non-empty"),
    ],
    ids=["configfiles-text", "list", "no-steps"],
)
def test_a_malformed_run_record_stops_bless_with_one_line(
    damaged, capsys, monkeypatch, change, message
):
    path = damaged / "results/run_record/run.json"
    path.write_text(json.dumps(change(json.loads(path.read_text()))))
    error = refused(damaged, capsys, monkeypatch, "bless")
    assert message in error, error


def test_a_nul_in_a_manifest_path_is_a_malformed_line(damaged, capsys, monkeypatch):
    manifest = reference_folder(damaged) / "checksums.sha256"
    manifest.write_text(manifest.read_text() + f"{'0' * 64}  results/train/a\0b\n")
    error = refused(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert "contains a NUL character" in error


def test_references_edited_after_their_commit_are_flagged(damaged, capsys, monkeypatch):
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
    }
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    for command in (["init", "-q"], ["add", "references"], ["commit", "-q", "-m", "refs"]):
        assert run_git(damaged, command, env).returncode == 0
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert code == 0 and "warning:" not in out, out
    (reference_folder(damaged) / "notes.txt").write_text("an extra file\n")
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert code == 0
    assert "warning: references/" in out and "differs from its committed version in git" in out


def run_git(workdir: Path, arguments, env):
    import subprocess

    return subprocess.run(["git", *arguments], cwd=workdir, env=env, capture_output=True)


def test_bless_changes_the_references_and_records_the_manifest_digest(damaged):
    folder = reference_folder(damaged)
    provenance = json.loads((folder / "provenance.json").read_text())
    digest = hashlib.sha256((folder / "checksums.sha256").read_bytes()).hexdigest()
    assert provenance["manifest"] == {"sha256": digest, "outputs": 59}
    assert provenance["schema_version"] == 3
    completed = run_seedlock(damaged, "bless")
    assert completed.returncode == 0, completed.stderr
    assert reference_folder(damaged) == folder
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]
    assert [p.name for p in (damaged / "references").iterdir()] == [folder.parent.name]


def test_bless_replaces_unreadable_references_and_says_so(damaged, capsys, monkeypatch):
    provenance = reference_folder(damaged) / "provenance.json"
    provenance.write_text(DEEP)
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "bless")
    assert code == 0
    assert "replacing unreadable references: references/" in out
    assert "provenance.json: cannot be read as JSON (nested too deeply)" in out
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert code == 0, out
