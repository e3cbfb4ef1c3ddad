"""``seedlock bless``: write references from the current outputs, the only writer under
``references/``. It refuses unless the run is complete and unchanged since its checksums."""

import datetime
import hashlib
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from seedlock import swap
from seedlock.checksums import Entry, file_sha256, hash_files, manifest_text, read_manifest
from seedlock.errors import ManifestError, ReferenceProfileError
from seedlock.probe import (
    NONDETERMINISTIC,
    REPORT,
    REPORT_TEXT,
    THREAD_DEPENDENT,
    read_last_probe,
    sources_digest,
)
from seedlock.profiles import (
    CHECKSUMS,
    PROVENANCE,
    PROVENANCE_SCHEMA_VERSION,
    VALUES,
    blessed_steps,
    config_folder_for,
    derived_provenance,
    parse_json,
    profile_of,
    read_fingerprints,
    read_reference,
    validate_provenance,
    validate_run_record,
)
from seedlock.steps import RESULTS, StepGraph
from seedlock.trees import CHECKSUM_FOLDER, references_root, source_root
from seedlock.writers import json_text

RUN_RECORD = Path(RESULTS) / "run_record" / "run.json"
ENVIRONMENT = Path(RESULTS) / "environment"
DEFAULT_VALUES_MAX_BYTES = 256 * 1024


def load_fingerprints(root: Path) -> dict[str, dict]:
    folder = root / ENVIRONMENT
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not paths:
        raise ReferenceProfileError(
            f"{folder}: no environment fingerprints; run the workflow first (make run)"
        )
    return read_fingerprints(paths)


def read_run_record(root: Path) -> dict:
    path = root / RUN_RECORD
    if not path.is_file():
        raise ReferenceProfileError(f"{path}: not found; run the workflow first (make run)")
    return validate_run_record(parse_json(path, f"remove {path} and rerun the workflow"), str(path))


def run_entries(root: Path, steps: Sequence[str]) -> dict[str, Entry]:
    """The outputs of a complete run, from its checksum manifests, after checking that every
    listed file is still there with the same bytes."""
    incomplete = root / ".snakemake" / "incomplete"
    if incomplete.is_dir() and any(incomplete.iterdir()):
        raise ReferenceProfileError(
            f"{incomplete}: Snakemake marks unfinished jobs; rerun the workflow before blessing"
        )
    entries: dict[str, Entry] = {}
    for step in steps:
        manifest = root / CHECKSUM_FOLDER / f"{step}.sha256"
        if not manifest.is_file():
            raise ReferenceProfileError(
                f"{manifest}: missing, so step {step} did not finish; rerun the workflow"
            )
        entries.update(read_manifest(manifest))
    missing = sorted(path for path in entries if not (root / path).is_file())
    if missing:
        raise ReferenceProfileError(
            f"{len(missing)} outputs are missing, e.g. {missing[0]}; rerun the workflow"
        )
    now = hash_files(root, entries)
    changed = sorted(path for path in entries if now[path] != entries[path])
    if changed:
        raise ReferenceProfileError(
            f"{len(changed)} outputs changed after the run checksummed them, e.g. {changed[0]}; "
            "rerun the workflow"
        )
    return now


def check_config_unchanged(root: Path, run: dict) -> None:
    for name, digest in run.get("configfiles", {}).items():
        path = root / name
        if not path.is_file() or file_sha256(path) != digest:
            raise ReferenceProfileError(
                f"{name}: changed since the run; rerun the workflow before blessing"
            )


def git_state(root: Path) -> dict:
    def git(*arguments):
        completed = subprocess.run(["git", *arguments], cwd=root, capture_output=True, text=True)
        return completed.stdout.strip() if completed.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def summarise_changes(
    old: dict[str, Entry], new: dict[str, Entry], steps, graph: StepGraph
) -> list[str]:
    lines = []
    for step in steps:
        before = {p: e for p, e in old.items() if graph.step_of(p) == step}
        after = {p: e for p, e in new.items() if graph.step_of(p) == step}
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        changed = sorted(p for p in set(after) & set(before) if after[p].sha256 != before[p].sha256)
        lines.append(
            f"{step}: {len(added)} added, {len(changed)} changed, {len(removed)} removed, "
            f"{len(after) - len(added) - len(changed)} unchanged"
        )
        for label, paths in (("added", added), ("changed", changed), ("removed", removed)):
            lines.extend(f"  {label}: {path}" for path in paths[:20])
            if len(paths) > 20:
                lines.append(f"  ... {len(paths) - 20} more {label}")
    return lines


def probe_findings(
    root: Path, run: dict, blessed: Sequence[str], force: bool, say: Callable[[str], None]
) -> dict:
    """What the last probe found about the outputs to bless; refuses non-deterministic ones
    unless ``force``. A probe of other sources or another config than this run's is stale."""
    report = read_last_probe(root)
    if report is None:
        say(
            "note: no probe on record; run `seedlock probe` to check that the outputs are "
            "deterministic before blessing them"
        )
        return {"status": "none"}
    config = (
        root / report["config"]
        if not Path(report["config"]).is_absolute()
        else Path(report["config"])
    )
    fresh = (
        config.is_file()
        and report["sources_sha256"] == sources_digest(source_root(root, run), config)
        and file_sha256(config) in run.get("configfiles", {}).values()
    )
    if not fresh:
        say(
            f"note: the last probe ({REPORT}) ran on other sources or another config; "
            "run `seedlock probe` again to check these outputs"
        )
        return {"status": "stale", "probed_at": report["probed_at"]}
    by_class = {}
    for item in report["files"]:
        if item["path"] in blessed:
            by_class.setdefault(item["class"], []).append(item["path"])
    unstable = sorted(by_class.get(NONDETERMINISTIC, []))
    if unstable and not force:
        raise ReferenceProfileError(
            f"{REPORT}: the last probe found {len(unstable)} of these outputs "
            f"non-deterministic, e.g. {unstable[0]} (see {REPORT_TEXT}); make them "
            "deterministic, or bless them anyway with --force"
        )
    findings = {"status": report["status"], "probed_at": report["probed_at"], "forced": force}
    if unstable:
        say(f"warning: blessing {len(unstable)} outputs the last probe found non-deterministic")
        findings["nondeterministic"] = unstable
    if report.get("thread_runs"):  # a probe without --threads did not look
        findings["thread_dependent"] = sorted(by_class.get(THREAD_DEPENDENT, []))
    return findings


def bless(
    root: Path,
    steps: Sequence[str] | None = None,
    values_max_bytes: int = DEFAULT_VALUES_MAX_BYTES,
    force: bool = False,
    dry_run: bool = False,
    say: Callable[[str], None] = print,
) -> Path:
    """Write ``references/<config>/<profile>/`` from the current run; return its folder. One
    bless at a time writes under references/, and a kill at any instant leaves the old
    references or the new ones in place (``seedlock.swap``). References already blessed are
    changed or removed only with ``force``; ``dry_run`` says what would change and writes
    nothing."""
    run = read_run_record(root)
    check_config_unchanged(root, run)
    graph = StepGraph.from_dict(run["steps"])
    partial = bool(steps)
    steps = list(steps or graph.steps)
    unknown = [step for step in steps if step not in graph.upstream]
    if unknown:
        raise ReferenceProfileError(
            f"--step {unknown[0]}: not a step; choose from {', '.join(graph.steps)}"
        )
    fingerprints = load_fingerprints(root)
    # The references go beside the workflow's locks, in its own folder, which the run record
    # names (root itself unless the run used another working directory).
    source = source_root(root, run)
    key = profile_of(source, fingerprints)
    blessed = run_entries(root, steps)
    probe = probe_findings(root, run, set(blessed), force, say)
    references = references_root(root, run)
    with swap.exclusive(references):
        config_folder = config_folder_for(references, run["config_sha256"], run["configfiles"])
        for folder in () if dry_run else (references, config_folder):
            for line in swap.recover(folder):
                say(line)
        target = config_folder / key.id
        existing = None
        if target.exists():
            try:
                existing = read_reference(target)
            except ManifestError as error:
                if partial:
                    raise  # a partial bless keeps the other steps' entries, so it needs them
                say(f"replacing unreadable references: {error}")
        old_entries = existing.entries if existing else {}
        # A partial bless keeps the other steps' references; a whole one replaces them all.
        kept = {p: e for p, e in old_entries.items() if partial and graph.step_of(p) not in steps}
        entries = dict(sorted({**kept, **blessed}.items()))
        changes = summarise_changes(old_entries, entries, steps, graph)
        replaced = [
            path
            for path, entry in old_entries.items()
            if path not in entries or entries[path].sha256 != entry.sha256
        ]
        if dry_run:
            say(f"would bless {len(blessed)} outputs of {len(steps)} steps into {target}")
            for line in changes:
                say(line)
            return target
        if replaced and not force:
            raise ReferenceProfileError(
                f"{target}: this bless would change or remove {len(replaced)} blessed outputs "
                f"(e.g. {sorted(replaced)[0]}); see them with: seedlock bless --dry-run; "
                "replace them with: seedlock bless --force"
            )
        manifest = manifest_text(entries).encode("utf-8")
        provenance = validate_provenance(
            {
                "schema_version": PROVENANCE_SCHEMA_VERSION,
                "profile": key.id,
                "environment_digest": key.environment_digest,
                # mode, platform, compute, cpu, job_environment, tools
                **derived_provenance(fingerprints),
                # Whole, so that verify can name what differs between a run's environment and
                # these.
                "fingerprints": fingerprints,
                "git": git_state(source),
                "seeds": run["seeds"],
                "threads": run["threads"],
                "config_sha256": run["config_sha256"],
                "blessed_at": datetime.datetime.now(datetime.UTC)
                .replace(microsecond=0)
                .isoformat(),
                "steps": blessed_steps(graph, entries),
                "step_graph": graph.as_dict(),
                "manifest": {
                    "sha256": hashlib.sha256(manifest).hexdigest(),
                    "outputs": len(entries),
                },
                "values_max_bytes": values_max_bytes,
                "probe": probe,
            },
            "provenance to write",
        )
        config_folder.mkdir(parents=True, exist_ok=True)
        staging = swap.staging_folder(target)
        try:
            (staging / CHECKSUMS).write_bytes(manifest)
            (staging / PROVENANCE).write_text(json_text(provenance), encoding="utf-8")
            for path, entry in entries.items():
                if entry.size is None or entry.size > values_max_bytes:
                    continue
                # A kept step's copies were checked against its manifest when it was read.
                data = (root / path).read_bytes() if path in blessed else existing.content(path)
                if data is not None:
                    copy = staging / VALUES / path
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    copy.write_bytes(data)
            staging.chmod(0o755)
            swap.replace_folder(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    say(f"blessed {len(blessed)} outputs of {len(steps)} steps into {target}")
    if replaced:
        say(f"replaced {len(replaced)} outputs blessed before (--force)")
    for line in changes:
        say(line)
    return target
