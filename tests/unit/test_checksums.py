"""Manifests: the sha256sum format with sizes, written and read back, and every fault refused."""

import hashlib
import subprocess

import pytest

from seedlock.checksums import Entry, hash_files, manifest_text, parse_manifest
from seedlock.errors import ManifestError

DIGEST = "a" * 64


def test_written_manifest_is_checked_by_coreutils_and_read_back(tmp_path):
    (tmp_path / "results" / "x").mkdir(parents=True)
    files = {"results/x/a.csv": b"a,b\n1,2\n", "results/x/b.bin": bytes(range(256)) * 300}
    for path, data in files.items():
        (tmp_path / path).write_bytes(data)
    entries = hash_files(tmp_path, files, workers=2)
    assert entries["results/x/b.bin"] == Entry(
        hashlib.sha256(files["results/x/b.bin"]).hexdigest(), 76800
    )
    text = manifest_text(entries)
    (tmp_path / "m.sha256").write_text(text)
    check = subprocess.run(
        ["sha256sum", "-c", "--strict", "m.sha256"], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    assert parse_manifest(text, "m.sha256") == entries
    assert text.splitlines()[1:3] == [
        "# size 8",
        f"{entries['results/x/a.csv'].sha256}  results/x/a.csv",
    ]


def test_lines_sha256sum_writes_in_binary_mode_are_accepted():
    assert parse_manifest(f"{DIGEST} *results/a\n", "m") == {"results/a": Entry(DIGEST, None)}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (f"{DIGEST}  /etc/passwd", "m:1: path '/etc/passwd' is absolute"),
        (f"{DIGEST}  results/../x", "m:1: path 'results/../x' is not a plain relative path"),
        (f"{DIGEST}  results//x", "is not a plain relative path"),
        (f"{DIGEST}  ./results/x", "is not a plain relative path"),
        (f"{DIGEST}  ~/x", "is absolute"),
        ("abc  results/x", "m:1: 'abc' is not a sha256 digest"),
        (f"{DIGEST.upper()}  results/x", "is not a sha256 digest"),
        (f"{DIGEST}results/x", "m:1: malformed line"),
        ("just words", "m:1: malformed line"),
    ],
)
def test_faults_name_file_and_line(line, message):
    with pytest.raises(ManifestError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_manifest(line + "\n", "m")


def test_duplicate_paths_are_refused():
    text = f"{DIGEST}  results/x\n# size 3\n{DIGEST}  results/x\n"
    with pytest.raises(ManifestError, match="m:3: path 'results/x' is listed twice"):
        parse_manifest(text, "m")
