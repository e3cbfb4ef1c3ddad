"""Verification on the tiny config: bless, verify, and every way an output can go wrong.

One tiny run is blessed; a second run in a fresh folder is checked against those references by
the workflow's own verify rule and by coreutils. Then every output is damaged in turn.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from seedlock.profiles import compute_of
from tests.conftest import TINY_CONFIG, copy_workflow, run_snakemake, tree_digests
from tests.workflow.blessed import (
    TINY,
    flip_byte,
    outputs,
    reference_folder,
    run_workflow,
    seedlock,
)

pytestmark = pytest.mark.workflow


def test_verify_rule_passes_and_writes_its_report(blessed):
    report = json.loads((blessed / "results/verify/report.json").read_text())
    assert report["status"] == "PASS" and report["exit_code"] == 0
    assert report["counts"]["MATCH"] == len(outputs(blessed)) == 59
    assert report["profile"]["exact"] and report["profile"]["current"].startswith("host-")
    assert (blessed / "results/verify/verdict.txt").read_text().startswith("seedlock verify: PASS")
    assert "seedlock verify: PASS" in (blessed / "logs/verify/verify.log").read_text()
    html = (blessed / "results/verify/report.html").read_text()
    assert "<title>seedlock verify: PASS</title>" in html
    assert "59 MATCH" in html and "Every output is a byte-for-byte MATCH." in html
    assert "<h2>The references</h2>" in html and "blessed at" in html


def test_reference_profile_layout(blessed):
    folder = reference_folder(blessed)
    provenance = json.loads((folder / "provenance.json").read_text())
    assert provenance["profile"] == folder.name
    assert provenance["seeds"]["root"] == 7
    assert provenance["job_environment"]["ml"]["PYTHONHASHSEED"] == "0"
    assert set(provenance["fingerprints"]) == {"base", "ml"}
    assert "scikit-learn" in provenance["tools"]
    assert provenance["steps"][0] == "prepare_data"
    assert (folder / "values/results/aggregate/table1.csv").read_bytes() == (
        blessed / "results/aggregate/table1.csv"
    ).read_bytes()


def test_fresh_run_elsewhere_matches_the_blessed_references(blessed, tmp_path):
    fresh = copy_workflow(tmp_path / "fresh" / "deeper")
    shutil.copytree(blessed / "references", fresh / "references")
    references_before = tree_digests(fresh / "references")
    run_workflow(fresh, cores=1)
    report = json.loads((fresh / "results/verify/report.json").read_text())
    assert report["status"] == "PASS", report
    assert report["counts"]["MATCH"] == 59
    # coreutils agrees, from the repository root, on the manifest as committed
    manifest = reference_folder(fresh) / "checksums.sha256"
    check = subprocess.run(
        ["sha256sum", "-c", "--strict", str(manifest.relative_to(fresh))],
        cwd=fresh,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 59
    assert tree_digests(fresh / "references") == references_before


def test_flipping_one_byte_of_any_output_fails_naming_file_and_step(damaged, capsys, monkeypatch):
    paths = outputs(damaged)
    assert len(paths) == 59
    for path in paths:
        original = (damaged / path).read_bytes()
        flip_byte(damaged / path)
        code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--config", TINY)
        assert code == 1, f"{path}: verify passed\n{out}"
        assert f"DIFFERENT  {path}  [{path.split('/')[1]}]" in out, out
        (damaged / path).write_bytes(original)
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert code == 0, out


def test_truncated_deleted_and_unexpected_files(damaged, capsys, monkeypatch):
    truncated = damaged / "results/evaluate/iris/random_forest/rep1.predictions.csv"
    truncated.write_bytes(truncated.read_bytes()[:100])
    (damaged / "results/train/wine/random_forest/rep0.pkl").unlink()
    (damaged / "results/aggregate/stray.csv").write_text("a\n1\n")
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert code == 1
    # Its job read a model that matches: it diverged by itself, whatever else train lost.
    assert "DIFFERENT  results/evaluate/iris/random_forest/rep1.predictions.csv  [evaluate]" in out
    assert "row count differs" in out
    assert "MISSING    results/train/wine/random_forest/rep0.pkl  [train]" in out
    assert "UNEXPECTED results/aggregate/stray.csv  [aggregate" in out
    assert "first diverged step: train" in out


def test_an_unexpected_output_fails_unless_a_tolerance_rule_names_it(damaged, capsys, monkeypatch):
    (damaged / "results/figures/extra.png").write_bytes(b"\x89PNG")
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert code == 1 and "1 UNEXPECTED" in out
    assert "UNEXPECTED results/figures/extra.png  [figures]" in out
    named = yaml.safe_load(TINY_CONFIG.read_text())
    named["verify"] = {
        "tolerances": [
            {"pattern": "results/figures/extra.png", "policy": "ignore", "reason": "a draft"}
        ]
    }
    (damaged / "named.yaml").write_text(yaml.safe_dump(named))
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--config", "named.yaml")
    assert code == 0, out
    code, out, _ = seedlock(
        damaged, capsys, monkeypatch, "verify", "--strict", "--config", "named.yaml"
    )
    assert code == 1


def test_a_killed_writers_temporary_file_is_not_an_output(damaged, capsys, monkeypatch):
    # What atomic_path leaves when its job is killed before the rename.
    (damaged / "results/figures/.metric_bars.svg.k2j4x9q1.partial").write_bytes(b"<svg")
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--strict", "--config", TINY)
    assert code == 0, out


def bump_metric(workdir: Path, relative: float) -> str:
    path = "results/evaluate/wine/logistic_regression/rep0.json"
    data = json.loads((workdir / path).read_text())
    data["metrics"]["neg_log_loss"] *= 1 + relative
    (workdir / path).write_text(json.dumps(data, sort_keys=True, indent=2) + "\n")
    return path


def test_tiny_relative_change_is_equivalent_under_numeric_and_different_under_exact(
    damaged, capsys, monkeypatch
):
    path = bump_metric(damaged, 1e-13)
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert code == 1
    assert f"DIFFERENT  {path}  [evaluate]" in out
    relative = re.search(r"metrics\.neg_log_loss: max abs \S+, max rel (\S+) \(1 values\)", out)
    assert relative and float(relative[1]) == pytest.approx(1e-13, rel=0.01), out

    numeric = yaml.safe_load(TINY_CONFIG.read_text())
    numeric["verify"] = {
        "tolerances": [{"pattern": "results/evaluate/*.json", "policy": "numeric", "rtol": 1e-9}]
    }
    (damaged / "numeric.yaml").write_text(yaml.safe_dump(numeric))
    code, out, _ = seedlock(
        damaged, capsys, monkeypatch, "verify", "--config", "numeric.yaml", "--json", "report.json"
    )
    assert code == 0, out
    assert f"EQUIVALENT {path}  [evaluate]" in out
    item = json.loads((damaged / "report.json").read_text())["files"][0]
    assert item["class"] == "EQUIVALENT" and item["policy"] == "numeric"
    assert item["difference"]["numeric"]["metrics.neg_log_loss"]["max_rel"] == pytest.approx(
        1e-13, rel=0.05
    )
    code, _, _ = seedlock(
        damaged, capsys, monkeypatch, "verify", "--strict", "--config", "numeric.yaml"
    )
    assert code == 1


MANIFEST_FAULTS = {
    "absolute path": lambda text: text.replace(
        "  results/split/iris/rep0.json", "  /etc/passwd", 1
    ),
    "dot-dot path": lambda text: text.replace(
        "  results/split/iris/rep0.json", "  results/../../x.json", 1
    ),
    "malformed line": lambda text: text + "this is not a checksum line\n",
    "short digest": lambda text: text + "abc123  results/split/iris/rep9.json\n",
    "duplicate path": lambda text: text + text.splitlines()[2] + "\n",
}


@pytest.mark.parametrize("fault", sorted(MANIFEST_FAULTS))
def test_manifest_faults_exit_2_with_one_line_and_write_nothing(
    damaged, capsys, monkeypatch, fault
):
    manifest = reference_folder(damaged) / "checksums.sha256"
    manifest.write_text(MANIFEST_FAULTS[fault](manifest.read_text()))
    before = tree_digests(damaged)
    code, out, err = seedlock(
        damaged, capsys, monkeypatch, "verify", "--config", TINY, "--json", "report.json"
    )
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("seedlock: error: references/"), err
    assert "checksums.sha256:" in err
    assert tree_digests(damaged) == before


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text[: len(text) // 2], "not valid JSON"),
        (
            lambda text: text.replace('"schema_version": 3', '"schema_version": 7'),
            "schema_version: 3 was expected",
        ),
        (
            lambda text: text.replace('"schema_version": 3', '"schema_version": 1'),
            "schema_version 1: written by an older seedlock",
        ),
        (lambda text: text.replace('"mode": "host"', '"mode": "docker"'), "mode: 'docker'"),
    ],
    ids=["corrupt", "wrong-version", "older-version", "bad-mode"],
)
def test_bad_provenance_exits_2_and_writes_nothing(damaged, capsys, monkeypatch, damage, message):
    provenance = reference_folder(damaged) / "provenance.json"
    provenance.write_text(damage(provenance.read_text()))
    before = tree_digests(damaged)
    code, out, err = seedlock(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert code == 2 and out == ""
    assert err.startswith("seedlock: error: references/") and message in err, err
    assert err.count("\n") == 1
    assert tree_digests(damaged) == before


def test_bless_refuses_when_an_output_is_missing(damaged, capsys, monkeypatch):
    (damaged / "results/cross_validate/iris/random_forest/rep1.csv").unlink()
    before = tree_digests(damaged / "references")
    code, _, err = seedlock(damaged, capsys, monkeypatch, "bless")
    assert code == 2
    assert err == (
        "seedlock: error: 1 outputs are missing, e.g. "
        "results/cross_validate/iris/random_forest/rep1.csv; rerun the workflow\n"
    )
    assert tree_digests(damaged / "references") == before


def test_bless_of_one_step_reports_changes_and_keeps_the_rest(damaged, capsys, monkeypatch):
    reference = reference_folder(damaged)
    table = damaged / "results/aggregate/table1.md"
    table.write_text(table.read_text() + "\nA note.\n")
    # the checksum rule reruns for the edited output, as a real rerun would
    run_workflow(damaged, "results/checksums/aggregate.sha256", "--force")
    # A blessed output would change: refused without --force.
    code, out, err = seedlock(damaged, capsys, monkeypatch, "bless", "--step", "aggregate")
    assert code == 2 and "would change or remove 1 blessed outputs" in err, out + err
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "bless", "--step", "aggregate", "--force")
    assert code == 0
    assert "replaced 1 outputs blessed before (--force)" in out
    assert "aggregate: 0 added, 1 changed, 0 removed, 4 unchanged" in out
    assert "  changed: results/aggregate/table1.md" in out
    assert "prepare_data:" not in out
    manifest = (reference / "checksums.sha256").read_text()
    assert manifest.count("  results/") == 59
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert code == 0, out


def test_verify_never_writes_under_references(damaged, capsys, monkeypatch):
    before = tree_digests(damaged / "references")
    flip_byte(damaged / "results/split/wine/rep1.json")
    seedlock(damaged, capsys, monkeypatch, "verify", "--config", TINY, "--json", "r.json")
    run_workflow(damaged, check=False)
    assert tree_digests(damaged / "references") == before


def test_no_matching_profile_is_a_cross_environment_comparison(damaged, capsys, monkeypatch):
    folder = reference_folder(damaged)
    provenance = json.loads((folder / "provenance.json").read_text())
    # References made where OpenBLAS ran its Sandybridge kernel, under native.
    ml = provenance["fingerprints"]["ml"]
    ml["compute"]["baseline"] = "native"
    blas = ml["compute"]["blas"][0]
    here = blas["kernel"]
    blas["kernel"] = "Sandybridge"
    provenance["compute"] = compute_of(provenance["fingerprints"])
    provenance["environment_digest"] = "0" * 64
    provenance["profile"] = f"host-linux-64-{provenance['compute']}-000000000000"
    (folder / "provenance.json").write_text(json.dumps(provenance))
    folder.rename(folder.parent / provenance["profile"])

    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert code == 1
    assert "problem: no reference profile matches this environment" in out
    assert "differs in compute, environment_digest" in out
    # What differs in the environment comes before the outputs.
    lines = out.splitlines()
    start = lines.index("the environment differs from the references' in:")
    assert start < next(i for i, line in enumerate(lines) if line.startswith("outputs:"))
    assert "  env ml: compute baseline: x86-64-v3 here, native in the references" in lines
    assert (
        f"  env ml: BLAS kernel ({blas['library']}): {here} here, Sandybridge in the references"
        in lines
    )
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--cross-env", "--config", TINY)
    assert code == 0, out


def test_status_names_the_profile_and_the_last_result(blessed, capsys, monkeypatch):
    code, out, _ = seedlock(blessed, capsys, monkeypatch, "status")
    assert code == 0
    profile = reference_folder(blessed).name
    assert f"active profile: {profile}\nconfig: config_sha256 " in out
    assert f"references for it: yes ({reference_folder(blessed).relative_to(blessed)})" in out
    assert f"last verify: PASS against {profile} (59 MATCH" in out


def test_snakemake_report_has_the_verification_section(blessed, tmp_path):
    run_snakemake(blessed, "--configfile", TINY, "--report", str(tmp_path / "report.html"))
    html = (tmp_path / "report.html").read_text()
    for category in ("Verification", "Table 1", "Figures"):
        assert category in html
    # It opens on the verdict, the seeds and the config; Table 1 is an HTML page, not a CSV.
    for landing in ("seedlock verify: PASS", "seeds: root 7, 2 replicates", "The config"):
        assert landing in html
    assert "table1.html" in html


def test_env_not_built_from_its_lock_or_leaking_imports_fails(damaged, capsys, monkeypatch):
    path = damaged / "results/environment/ml.json"
    fingerprint = json.loads(path.read_text())
    fingerprint["packages"].append({"name": "surprise", "version": "1.0"})
    fingerprint["modules"]["leaky"] = "/opt/driver/site-packages/leaky"
    path.write_text(json.dumps(fingerprint))
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--config", TINY)
    assert code == 1
    assert (
        "environment: env ml was not built from its lock requirements.lock: extra: surprise" in out
    )
    assert (
        "environment: env ml: module leaky was imported from /opt/driver/site-packages/leaky" in out
    )
    assert "59 MATCH" in out
    # The workflow's own verify runs the same audit.
    completed = run_workflow(damaged, check=False)
    assert completed.returncode != 0
    log = (damaged / "logs/verify/verify.log").read_text()
    assert "seedlock verify: FAIL" in log and "59 MATCH" in log
    assert "environment: env ml was not built from its lock requirements.lock: extra: surprise" in (
        log
    )


def test_the_rule_and_the_command_give_one_report(damaged, capsys, monkeypatch):
    """The same checks and the same report: a changed output and a fingerprint naming another
    numpy than the lock's, read by the verify rule and by seedlock verify."""
    flip_byte(damaged / "results/evaluate/iris/random_forest/rep0.predictions.csv")
    fingerprint_path = damaged / "results/environment/ml.json"
    fingerprint = json.loads(fingerprint_path.read_text())
    for package in fingerprint["packages"]:
        if package["name"] == "numpy":
            package["version"] = "1.0.0"
    fingerprint_path.write_text(json.dumps(fingerprint))
    assert run_workflow(damaged, check=False).returncode != 0
    rule = json.loads((damaged / "results/verify/report.json").read_text())
    assert rule["status"] == "FAIL" and rule["counts"]["DIFFERENT"] >= 1
    assert any("numpy (1.0.0 instead of" in line for line in rule["environment"]), rule
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "verify", "--json", "cli.json")
    assert code == 1
    assert json.loads((damaged / "cli.json").read_text()) == rule
    assert "environment: env ml was not built from its lock" in out


def test_what_each_job_read_comes_from_snakemake_s_record_of_its_outputs(blessed):
    """verify traces differences file by file through these inputs."""
    from seedlock.job_inputs import job_inputs

    evaluation = "results/evaluate/iris/random_forest/rep0.predictions.csv"
    table = "results/aggregate/table1.csv"
    inputs = job_inputs(blessed, [evaluation, table, "results/no/such/output.csv"])
    assert sorted(inputs) == [table, evaluation]
    assert "results/train/iris/random_forest/rep0.pkl" in inputs[evaluation]
    assert "results/split/iris/rep0.json" in inputs[evaluation]
    assert "results/evaluate/wine/logistic_regression/rep1.json" in inputs[table]
