"""Replacing a folder: a kill at any instant leaves the old or the new one in its place."""

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from seedlock import swap

FILES = 40


def fill(folder: Path, label: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(FILES):
        (folder / f"{index:02}.txt").write_text(f"{label} {index}\n")
    return folder


def label_of(folder: Path) -> str:
    """'old' or 'new' if ``folder`` holds one of them whole; fails otherwise."""
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"{index:02}.txt" for index in range(FILES)], names
    labels = {(folder / name).read_text().split()[0] for name in names}
    assert len(labels) == 1, labels
    return labels.pop()


def test_replace_swaps_in_one_step_and_leaves_nothing(tmp_path):
    target = fill(tmp_path / "profile", "old")
    staging = fill(swap.staging_folder(target), "new")
    swap.replace_folder(staging, target)
    assert label_of(target) == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["profile"]


def test_recover_puts_back_a_folder_parked_by_a_kill_between_two_renames(tmp_path):
    # Where the exchange is not available: the target was parked, the new one not yet renamed.
    fill(tmp_path / ".profile.retired", "old")
    fill(tmp_path / ".profile.staging-x1y2", "new")
    done = swap.recover(tmp_path)
    assert label_of(tmp_path / "profile") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["profile"]
    assert len(done) == 2 and done[0].startswith("restored")


def test_recover_removes_leftovers_and_keeps_everything_else(tmp_path):
    fill(tmp_path / "profile", "new")
    fill(tmp_path / ".profile.retired", "old")  # killed while removing the old folder
    fill(tmp_path / ".other.staging-abc", "new")
    fill(tmp_path / ".hidden", "user")  # not the swap's: left alone
    swap.recover(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hidden", "profile"]
    assert label_of(tmp_path / "profile") == "new"


LOOP = """
import sys
from pathlib import Path
from seedlock import swap
target = Path(sys.argv[1])
labels = ["old", "new"]
turn = 0
while True:
    turn += 1
    staging = swap.staging_folder(target)
    for index in range({files}):
        (staging / f"{{index:02}}.txt").write_text(f"{{labels[turn % 2]}} {{index}}\\n")
    swap.replace_folder(staging, target)
    print(turn, flush=True)
"""


def test_kill_9_at_random_moments_never_leaves_the_folder_missing_or_mixed(tmp_path):
    target = fill(tmp_path / "references" / "profile", "old")
    rng = random.Random(20261129)
    seen = set()
    for _ in range(20):
        process = subprocess.Popen(
            [sys.executable, "-c", LOOP.format(files=FILES), str(target)],
            stdout=subprocess.PIPE,
            text=True,
        )
        process.stdout.readline()  # past the start-up: it is swapping now
        time.sleep(rng.uniform(0, 0.05))
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
        seen.add(label_of(target))  # whole, old or new, at every instant
        swap.recover(target.parent)
        assert [p.name for p in target.parent.iterdir()] == ["profile"]
    assert seen == {"old", "new"}
