"""Locks made without conda: solved by py-rattler from local channel records, written and
rendered by conda-lock's own code, and checked offline."""

import hashlib
import json
from pathlib import Path

import pytest
from conda_lock.lockfile import parse_conda_lock_file

from seedlock.cli import main as seedlock_main
from seedlock.locks import check_locks, lock, lock_path, pin_path, render_pin, specs_of
from tests.conftest import REPO

SHARED_MIRROR = REPO.parent / "shared" / "conda-repodata"
CHANNEL = "seedlock-test"


def record(name, version, depends=(), subdir="noarch"):
    filename = f"{name}-{version}-0.tar.bz2"
    digest = hashlib.sha256(filename.encode()).hexdigest()
    return filename, {
        "name": name,
        "version": version,
        "build": "0",
        "build_number": 0,
        "depends": list(depends),
        "subdir": subdir,
        "md5": digest[:32],
        "sha256": digest,
        "size": 1000,
        "timestamp": 1700000000000,
        "license": "MIT",
    }


def tiny_mirror(root: Path) -> Path:
    """A channel with alpha (needs beta >=2) and two betas, all noarch; linux-64 is empty."""
    packages = dict(
        [record("alpha", "1.0", ["beta >=2"]), record("beta", "1.0"), record("beta", "2.0")]
    )
    for subdir, content in (("noarch", packages), ("linux-64", {}), ("osx-64", {})):
        folder = root / CHANNEL / subdir
        folder.mkdir(parents=True)
        (folder / "repodata.json").write_text(
            json.dumps(
                {
                    "info": {"subdir": subdir},
                    "packages": {
                        name: {**data, "subdir": subdir} if subdir == "noarch" else data
                        for name, data in content.items()
                    },
                    "packages.conda": {},
                }
            )
        )
    return root


def tiny_spec(folder: Path, dependencies=("alpha",)) -> Path:
    spec = folder / "envs" / "tiny.yaml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"channels:\n  - {CHANNEL}\n  - nodefaults\ndependencies:"]
    lines += [f"  - {dependency}" for dependency in dependencies]
    spec.write_text("\n".join(lines) + "\n")
    return spec


PLATFORMS = ("linux-64", "osx-64")


@pytest.fixture
def locked(tmp_path) -> Path:
    mirror = tiny_mirror(tmp_path / "mirror")
    spec = tiny_spec(tmp_path / "project")
    lock(spec, platforms=PLATFORMS, mirror=mirror, say=lambda line: None)
    return spec


def test_lock_against_a_tiny_mirror_keeps_real_urls_and_hashes(locked):
    lockfile = parse_conda_lock_file(lock_path(locked))
    linux = {p.name: p for p in lockfile.package if p.platform == "linux-64"}
    assert sorted(linux) == ["alpha", "beta"]
    assert linux["beta"].version == "2.0"
    assert linux["alpha"].url == f"https://conda.anaconda.org/{CHANNEL}/noarch/alpha-1.0-0.tar.bz2"
    assert linux["alpha"].hash.sha256 == hashlib.sha256(b"alpha-1.0-0.tar.bz2").hexdigest()
    assert lockfile.metadata.platforms == list(PLATFORMS)
    pin = pin_path(locked, "linux-64").read_text()
    assert "@EXPLICIT" in pin
    assert f"https://conda.anaconda.org/{CHANNEL}/noarch/beta-2.0-0.tar.bz2#" in pin
    assert pin == render_pin(parse_conda_lock_file(lock_path(locked)), "linux-64")
    assert check_locks(locked.parents[1], [locked], PLATFORMS) == []


def test_relocking_gives_identical_bytes(locked, tmp_path):
    first = lock_path(locked).read_bytes()
    lock(locked, platforms=PLATFORMS, mirror=tmp_path / "mirror", say=lambda line: None)
    assert lock_path(locked).read_bytes() == first


def test_editing_the_spec_makes_the_lock_stale(locked):
    tiny_spec(locked.parents[1], dependencies=("alpha", "beta >=2"))
    problems = check_locks(locked.parents[1], [locked], PLATFORMS)
    assert problems == [
        f"envs/tiny.conda-lock.yml: stale for {platform}: envs/tiny.yaml changed since it was "
        "locked; run: seedlock lock tiny"
        for platform in PLATFORMS
    ]


@pytest.mark.parametrize("tamper", ["md5", "missing line"])
def test_a_tampered_pin_is_detected(locked, tamper):
    pin = pin_path(locked, "osx-64")
    lines = pin.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("https://"))
    if tamper == "md5":
        url, md5 = lines[index].rstrip("\n").split("#")
        lines[index] = f"{url}#{'0' * len(md5)}\n"
    else:
        del lines[index]
    pin.write_text("".join(lines))
    assert check_locks(locked.parents[1], [locked], PLATFORMS) == [
        "envs/tiny.osx-64.pin.txt: differs from conda-lock's render of envs/tiny.conda-lock.yml;"
        " run: seedlock lock tiny"
    ]


def test_a_package_without_sha256_or_https_is_reported(locked):
    path = lock_path(locked)
    text = path.read_text()
    text = text.replace(
        "url: https://conda.anaconda.org/seedlock-test/noarch/beta-2.0-0.tar.bz2",
        "url: http://conda.anaconda.org/seedlock-test/noarch/beta-2.0-0.tar.bz2",
        1,
    )
    digest = hashlib.sha256(b"alpha-1.0-0.tar.bz2").hexdigest()
    text = text.replace(f"    sha256: {digest}\n", "", 1)
    path.write_text(text)
    problems = check_locks(locked.parents[1], [locked], PLATFORMS)
    assert "envs/tiny.conda-lock.yml: linux-64: alpha: no sha256" in problems
    assert any("beta: url is not https: http://" in problem for problem in problems)


def test_an_unsolvable_spec_is_one_clear_error(tmp_path):
    from seedlock.errors import LockError

    mirror = tiny_mirror(tmp_path / "mirror")
    spec = tiny_spec(tmp_path / "project", dependencies=("alpha", "beta <2"))
    with pytest.raises(LockError, match=r"envs/tiny.yaml: cannot be solved for linux-64"):
        lock(spec, platforms=PLATFORMS, mirror=mirror, say=lambda line: None)
    assert not lock_path(spec).exists()


@pytest.mark.skipif(not SHARED_MIRROR.is_dir(), reason="needs ../shared/conda-repodata")
def test_base_env_solves_against_the_shared_mirror_for_every_platform(tmp_path):
    spec = tmp_path / "envs" / "base.yaml"
    spec.parent.mkdir()
    spec.write_text((REPO / "envs" / "base.yaml").read_text())
    lock(spec, mirror=SHARED_MIRROR, say=lambda line: None)
    lockfile = parse_conda_lock_file(lock_path(spec))
    for platform in ("linux-64", "osx-arm64", "osx-64"):
        names = {p.name: p.version for p in lockfile.package if p.platform == platform}
        assert names["python"].startswith("3.13") and names["pyyaml"] == "6.0.3"
    # Solved offline from the same records, the committed lock is the same lock.
    assert lock_path(spec).read_bytes() == (REPO / "envs" / "base.conda-lock.yml").read_bytes()


def test_committed_locks_and_pins_are_current():
    assert check_locks(REPO, specs_of(REPO)) == []


def test_check_locks_command_reports_current_locks(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    assert seedlock_main(["check-locks"]) == 0
    assert capsys.readouterr().out.startswith("check-locks: 3 locks current")


def test_a_rule_whose_env_lacks_a_pin_is_named(tmp_path):
    from seedlock.locks import rule_env_problems
    from tests.conftest import copy_workflow

    workdir = copy_workflow(tmp_path / "workflow")
    (workdir / "envs" / "ml.osx-arm64.pin.txt").unlink()
    problems = rule_env_problems(workdir)
    assert (
        "rule train: no pin for osx-arm64 (envs/ml.osx-arm64.pin.txt); run: seedlock lock ml"
        in (problems)
    )
    assert not any("checksum" in problem for problem in problems)


def test_an_edited_version_or_an_empty_lock_is_reported(locked):
    path = lock_path(locked)
    path.write_text(path.read_text().replace("version: '2.0'", "version: '2.1'", 1))
    problems = check_locks(locked.parents[1], [locked], PLATFORMS)
    assert any(
        "beta: version 2.1 is not the version in its url (beta-2.0-0.tar.bz2)" in problem
        for problem in problems
    ), problems
    path.write_text("")
    assert check_locks(locked.parents[1], [locked], PLATFORMS) == [
        "envs/tiny.conda-lock.yml: empty; create it again with: seedlock lock tiny"
    ]


def test_an_edited_sha256_is_seen_only_against_the_channel_records(locked):
    """Pins carry the md5 alone: the lock's sha256 can be checked only against the records."""
    mirror = locked.parents[2] / "mirror"
    path = lock_path(locked)
    assert check_locks(locked.parents[1], [locked], PLATFORMS, mirror=mirror) == []
    digest = hashlib.sha256(b"beta-2.0-0.tar.bz2").hexdigest()
    edited = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    path.write_text(path.read_text().replace(digest, edited))
    assert check_locks(locked.parents[1], [locked], PLATFORMS) == []
    problems = check_locks(locked.parents[1], [locked], PLATFORMS, mirror=mirror)
    assert problems and all(
        f"beta: sha256 {edited} is not the channel's {digest} for beta-2.0-0.tar.bz2" in problem
        for problem in problems
    ), problems
    assert len(problems) == len(PLATFORMS)  # the noarch package, once per platform


def test_a_package_missing_from_the_mirror_is_named(locked, tmp_path):
    empty = tiny_mirror(tmp_path / "other")
    (empty / CHANNEL / "noarch" / "repodata.json").write_text('{"packages": {}}')
    problems = check_locks(locked.parents[1], [locked], PLATFORMS, mirror=empty)
    assert problems and all("is not in the mirror" in problem for problem in problems), problems


@pytest.mark.skipif(not SHARED_MIRROR.is_dir(), reason="needs ../shared/conda-repodata")
def test_committed_locks_match_the_channel_records(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    assert seedlock_main(["check-locks", "--mirror", str(SHARED_MIRROR)]) == 0
    assert "every md5 and sha256 equals the channel's record" in capsys.readouterr().out


def test_a_lock_that_is_no_conda_lock_file_gets_a_line_a_user_can_act_on(locked):
    lock_path(locked).write_text("- a\n")
    (problem,) = check_locks(locked.parents[1], [locked], PLATFORMS)
    assert problem == (
        "envs/tiny.conda-lock.yml: not a conda-lock file as conda-lock reads it; restore it "
        "from git or create it again with: seedlock lock tiny"
    )
