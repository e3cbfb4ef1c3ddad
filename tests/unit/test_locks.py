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


# --- platforms beyond the committed set ---------------------------------------------------------


def copy_env(name: str, project: Path) -> Path:
    """The committed spec, lock and pins of one env, in a project folder of their own."""
    (project / "envs").mkdir(parents=True)
    for path in (REPO / "envs").glob(f"{name}.*"):
        (project / "envs" / path.name).write_bytes(path.read_bytes())
    return project / "envs" / f"{name}.yaml"


def test_every_platform_conda_knows_is_accepted_and_the_default_is_the_committed_set():
    from seedlock import cli
    from seedlock.locks import PLATFORMS as LOCKED
    from seedlock.locks import known_platforms

    known = known_platforms()
    for platform in ("linux-64", "linux-aarch64", "linux-ppc64le", "linux-s390x", "osx-64"):
        assert platform in known
    assert {"osx-arm64", "win-64", "win-arm64"} <= set(known) and "noarch" not in known
    assert cli.PLATFORMS == LOCKED == ("linux-64", "osx-arm64", "osx-64")
    for spec in specs_of(REPO):
        assert parse_conda_lock_file(lock_path(spec)).metadata.platforms == list(LOCKED)
    arguments = cli.parser().parse_args(["lock", "--platform", "linux-s390x"])
    assert arguments.platform == ["linux-s390x"]
    assert cli.parser().parse_args(["lock"]).platform is None


def run_lock(project: Path, monkeypatch, capsys, *arguments: str):
    monkeypatch.chdir(project)
    status = seedlock_main(["lock", *arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.skipif(not SHARED_MIRROR.is_dir(), reason="needs ../shared/conda-repodata")
@pytest.mark.parametrize(
    ("env", "platform", "missing"),
    [
        ("base", "linux-aarch64", "conda-forge/linux-aarch64/repodata.json"),
        (
            "environment",
            "linux-aarch64",
            "conda-forge/linux-aarch64/repodata.json, bioconda/linux-aarch64/repodata.json",
        ),
        ("ml", "win-64", "conda-forge/win-64/repodata.json"),
    ],
)
def test_a_platform_the_mirror_has_no_records_for_is_one_line_and_writes_nothing(
    tmp_path, monkeypatch, capsys, env, platform, missing
):
    if env == "environment":
        project = tmp_path / "project"
        project.mkdir()
        for name in ("environment.yml", "conda-lock.yml"):
            (project / name).write_bytes((REPO / name).read_bytes())
        spec = project / "environment.yml"
    else:
        spec = copy_env(env, tmp_path / "project")
    before = {path: path.read_bytes() for path in spec.parent.iterdir()}
    status, out, err = run_lock(
        spec.parent if env == "environment" else spec.parents[1],
        monkeypatch,
        capsys,
        env,
        "--platform",
        platform,
        "--mirror",
        str(SHARED_MIRROR),
    )
    assert status == 2 and out == ""
    shown = "environment.yml" if env == "environment" else f"envs/{env}.yaml"
    assert err == (
        f"seedlock: error: {shown}: cannot lock {platform} from the mirror {SHARED_MIRROR}: it "
        f"has no {missing}; lock {platform} where the conda channels are reachable, without "
        "--mirror\n"
    )
    assert {path: path.read_bytes() for path in spec.parent.iterdir()} == before


def test_a_platform_conda_does_not_know_or_conda_lock_cannot_solve_is_one_line(
    tmp_path, monkeypatch, capsys
):
    spec = copy_env("base", tmp_path / "project")
    status, _, err = run_lock(spec.parents[1], monkeypatch, capsys, "--platform", "linux-65")
    assert status == 2
    assert err.startswith("seedlock: error: --platform linux-65: not a platform conda knows; ")
    assert "linux-aarch64, " in err and "win-64, " in err and err.count("\n") == 1
    # conda knows linux-s390x, but conda-lock has no virtual packages (__glibc, ...) for it, so
    # neither `conda-lock lock` nor seedlock can solve python for it.
    status, _, err = run_lock(
        spec.parents[1], monkeypatch, capsys, "base", "--platform", "linux-s390x"
    )
    assert status == 2
    assert err == (
        "seedlock: error: --platform linux-s390x: conda-lock has no default virtual packages "
        "(__glibc, __osx, ...) for it, only for linux-64, linux-aarch64, linux-ppc64le, osx-64, "
        "osx-arm64, win-64; seedlock solves as conda-lock does, so it cannot lock linux-s390x\n"
    )


@pytest.mark.skipif(not SHARED_MIRROR.is_dir(), reason="needs ../shared/conda-repodata")
def test_relocking_one_platform_keeps_the_others_as_locked(tmp_path):
    spec = copy_env("base", tmp_path / "project")
    said = []
    lock(spec, platforms=["osx-64"], mirror=SHARED_MIRROR, say=said.append)
    assert said == [
        f"{spec}: osx-64: 23 packages",
        f"{spec}: linux-64: kept as locked before",
        f"{spec}: osx-arm64: kept as locked before",
    ]
    for path in sorted((REPO / "envs").glob("base.*")):
        assert (spec.parent / path.name).read_bytes() == path.read_bytes(), path.name


def aarch64_mirror(root: Path) -> Path:
    """The tiny channel, with (empty) linux-aarch64 and osx-arm64 records as well."""
    mirror = tiny_mirror(root)
    for subdir in ("linux-aarch64", "osx-arm64"):
        folder = mirror / CHANNEL / subdir
        folder.mkdir()
        (folder / "repodata.json").write_text(json.dumps({"info": {"subdir": subdir}}))
    return mirror


def test_a_platform_is_added_where_the_records_have_it_and_stays(locked, tmp_path):
    """linux-aarch64, solved with conda-lock's virtual packages for it, joins linux-64 and
    osx-64; the platforms locked before keep their entries, and a plain relock keeps all."""
    mirror = aarch64_mirror(tmp_path / "aarch64-mirror")
    root = locked.parents[1]
    before = parse_conda_lock_file(lock_path(locked))
    assert check_locks(root, [locked], ["linux-aarch64"]) == [
        "envs/tiny.conda-lock.yml: no lock for linux-aarch64; add it with: seedlock lock tiny "
        "--platform linux-aarch64, which solves from the live conda channels (seedlock-test) and "
        "so needs them reachable, or --mirror DIR with seedlock-test/linux-aarch64 in it"
    ]
    lock(locked, platforms=["linux-aarch64"], mirror=mirror, say=lambda line: None)
    after = parse_conda_lock_file(lock_path(locked))
    assert after.metadata.platforms == ["linux-64", "osx-64", "linux-aarch64"]
    assert {p: h for p, h in after.metadata.content_hash.items() if p != "linux-aarch64"} == (
        before.metadata.content_hash
    )
    aarch64 = {p.name: p for p in after.package if p.platform == "linux-aarch64"}
    assert sorted(aarch64) == ["alpha", "beta"] and aarch64["beta"].version == "2.0"
    assert [p for p in after.package if p.platform != "linux-aarch64"] == before.package
    assert pin_path(locked, "linux-aarch64").read_text() == render_pin(after, "linux-aarch64")
    assert check_locks(root, [locked], [*PLATFORMS, "linux-aarch64"], mirror=mirror) == []
    # A plain relock solves the committed set (osx-arm64 too, here) and keeps linux-aarch64.
    lock(locked, mirror=mirror, say=lambda line: None)
    relocked = parse_conda_lock_file(lock_path(locked))
    assert relocked.metadata.platforms == ["linux-64", "osx-arm64", "osx-64", "linux-aarch64"]
    assert [p for p in relocked.package if p.platform == "linux-aarch64"] == list(aarch64.values())
    # check-locks covers every platform a lock has, the committed set's and the added one.
    assert check_locks(root, [locked], mirror=mirror) == []


def test_a_platform_kept_as_locked_is_still_stale_after_a_spec_edit(locked, tmp_path):
    tiny_spec(locked.parents[1], dependencies=("alpha", "beta >=2"))
    lock(locked, platforms=["linux-64"], mirror=tmp_path / "mirror", say=lambda line: None)
    assert check_locks(locked.parents[1], [locked], PLATFORMS) == [
        "envs/tiny.conda-lock.yml: stale for osx-64: envs/tiny.yaml changed since it was "
        "locked; run: seedlock lock tiny"
    ]


def test_an_added_platform_that_goes_stale_is_checked_by_default(locked, tmp_path):
    mirror = aarch64_mirror(tmp_path / "aarch64-mirror")
    lock(locked, platforms=["osx-arm64", "linux-aarch64"], mirror=mirror, say=lambda line: None)
    assert check_locks(locked.parents[1], [locked]) == []
    pin = pin_path(locked, "linux-aarch64")
    pin.write_text(pin.read_text().replace("beta-2.0", "beta-1.0"))
    assert check_locks(locked.parents[1], [locked]) == [
        "envs/tiny.linux-aarch64.pin.txt: differs from conda-lock's render of "
        "envs/tiny.conda-lock.yml; run: seedlock lock tiny"
    ]


def test_the_workflow_on_a_platform_without_a_lock_says_what_locking_it_needs():
    """What the workflow prints under --use-conda on a linux-aarch64 machine (it checks the
    locks for the platform it runs on): the command, and that it needs the live channels."""
    specs = [spec for spec in specs_of(REPO) if spec.parent.name == "envs"]
    assert check_locks(REPO, specs, platforms=["linux-aarch64"]) == [
        f"envs/{name}.conda-lock.yml: no lock for linux-aarch64; add it with: seedlock lock "
        f"{name} --platform linux-aarch64, which solves from the live conda channels "
        "(conda-forge) and so needs them reachable, or --mirror DIR with "
        "conda-forge/linux-aarch64 in it"
        for name in ("base", "ml")
    ]
    assert check_locks(REPO, specs, platforms=["linux-s390x"]) == [
        f"envs/{name}.conda-lock.yml: no lock for linux-s390x, and seedlock cannot make one: "
        "conda-lock has no default virtual packages for linux-s390x"
        for name in ("base", "ml")
    ]


def test_the_solver_named_for_environments_without_it_is_the_one_requirements_lock_pins():
    from seedlock.locks import RATTLER

    assert f"\n{RATTLER} \\\n" in (REPO / "requirements.lock").read_text()
