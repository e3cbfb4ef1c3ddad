"""The seedlock command as its users meet it: --help, --json -, status before any run."""

import json
import shutil

import pytest

from seedlock.cli import EXIT_STATUS, main, parser
from tests.conftest import REPO


@pytest.mark.parametrize("command", sorted(EXIT_STATUS))
def test_every_command_describes_itself_and_its_exit_status(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    summary = parser()._subparsers._group_actions[0].choices[command].description
    assert summary and summary in text
    assert f"exit status: {' '.join(EXIT_STATUS[command].split())}" in text


def test_status_before_any_run_says_what_is_there_and_what_to_do(tmp_path, monkeypatch, capsys):
    shutil.copytree(REPO / "references", tmp_path / "references")
    monkeypatch.chdir(tmp_path)
    assert main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("active profile: unknown until the workflow has run")
    assert lines[1].startswith("references: references/config-")
    assert lines[2] == "last verify: none (run the workflow: make run)"


def test_json_dash_writes_the_report_to_stdout_and_no_file(tmp_path, monkeypatch, capsys):
    from tests.unit.test_compare_trees import write_tree

    a = write_tree(tmp_path / "a")
    b = write_tree(tmp_path / "b")
    monkeypatch.chdir(REPO)  # the tolerances of config.yaml
    assert main(["compare", str(a), str(b), "--json", "-"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"] == "MATCH"
    assert captured.err.startswith("seedlock compare: MATCH")
    assert not (REPO / "-").exists()
