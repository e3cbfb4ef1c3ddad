"""The ``seedlock`` command. User errors print one line and exit 2, never a traceback.

seedlock verify [--strict] [--cross-env] [--config FILE] [--json FILE]
seedlock bless [--step S ...] [--dry-run] [--force]
seedlock probe [TARGET ...] [--config FILE] [--cores N] [--threads] [--keep]
seedlock compare A B [--config FILE] [--exact | --rtol R --atol A] [--json FILE]
seedlock status
"""

import argparse
import os
import sys
from pathlib import Path

from seedlock import __version__
from seedlock.errors import SeedlockError

EXIT_USER_ERROR = 2
# The platforms every lock covers (kept here so that --help needs no conda-lock import).
PLATFORMS = ("linux-64", "osx-arm64", "osx-64")
# The --help's examples of other platforms; seedlock lock takes any that py-rattler knows.
OTHER_PLATFORMS = ("linux-aarch64", "linux-ppc64le", "win-64")


def verify(arguments) -> int:
    from seedlock.bless import RUN_RECORD, load_fingerprints
    from seedlock.profiles import validate_run_record
    from seedlock.settings import load_settings
    from seedlock.trees import current_entries, declared_outputs, recorded_run, tree_graph
    from seedlock.verification import verify_run
    from seedlock.verify import Settings, report_text

    root = Path(".")  # relative, so that messages name files as the user sees them
    run = recorded_run(root)  # the steps the run read from its rules, the config it ran with
    if run is None:
        raise SeedlockError(
            f"{RUN_RECORD}: missing or not a JSON object, so this run's config is unknown; run "
            "the workflow (it records the run), then verify"
        )
    run = validate_run_record(run, str(RUN_RECORD))
    # The tolerances the run's own verify rule used, unless a config is named.
    if arguments.config is None:
        verify_settings = run["verify"]
    else:
        verify_settings = load_settings(arguments.config)["verify"]
    settings = Settings.from_config(
        verify_settings, strict=arguments.strict or None, cross_env=arguments.cross_env or None
    )
    report = verify_run(
        root,
        run,
        load_fingerprints(root),
        current_entries(root, None),
        settings,
        declared_outputs(root, tree_graph(root, run)),
    )
    emit(report, report_text(report), arguments.json)
    return report["exit_code"]


def emit(report: dict, text: str, json_target: Path | None) -> None:
    """The text report on stdout, and the JSON one in ``json_target``; with ``-``, the JSON on
    stdout and the text on stderr, so that stdout stays parseable."""
    from seedlock.writers import json_text, write_json

    if json_target is not None and str(json_target) == "-":
        sys.stderr.write(text)
        sys.stdout.write(json_text(report))
        return
    sys.stdout.write(text)
    if json_target is not None:
        write_json(json_target, report)


def bless(arguments) -> int:
    from seedlock.bless import bless as write_references

    write_references(
        Path("."),
        steps=arguments.step,
        values_max_bytes=arguments.values_max_bytes,
        force=arguments.force,
        dry_run=arguments.dry_run,
    )
    return 0


def probe(arguments) -> int:
    from seedlock.probe import NONDETERMINISTIC, REPORT_TEXT, report_text
    from seedlock.probe import probe as run_probe
    from seedlock.trees import source_root

    here = Path(".")
    # In a working directory of its own (snakemake -d), the last run's record names the
    # workflow's folder: probe that workflow, and keep the report here, where bless reads it.
    workflow = here if (here / "Snakefile").is_file() else source_root(here)
    report = run_probe(
        workflow,
        arguments.config if workflow == here else arguments.config.resolve(),
        report_root=here,
        targets=arguments.target,
        cores=arguments.cores,
        compare_threads=arguments.threads,
        keep=arguments.keep,
        say=lambda line: print(line, file=sys.stderr),
    )
    sys.stdout.write(report_text(report))
    print(f"(also in {REPORT_TEXT})", file=sys.stderr)
    return 1 if report["status"] == NONDETERMINISTIC else 0


def compare_trees(arguments) -> int:
    from seedlock.compare import Tolerance
    from seedlock.settings import load_settings
    from seedlock.trees import open_tree
    from seedlock.verify import Settings, compare_report, compare_text

    if arguments.exact and (arguments.rtol is not None or arguments.atol is not None):
        raise SeedlockError("--exact: cannot be combined with --rtol or --atol")
    settings = Settings.from_config(load_settings(arguments.config)["verify"])
    # --exact: every output must be the same bytes; nothing is ignored, no tolerance applies.
    rules = [] if arguments.exact else settings.cross_env_tolerances + settings.tolerances
    if arguments.rtol is not None or arguments.atol is not None:
        given = {"rtol": arguments.rtol or 0.0, "atol": arguments.atol or 0.0}
        rules = [
            Tolerance(policy="numeric", pattern=pattern, **given)
            for pattern in ("*.csv", "*.tsv", "*.json")
        ] + rules
    report = compare_report(open_tree(arguments.a), open_tree(arguments.b), rules)
    emit(report, compare_text(report), arguments.json)
    return report["exit_code"]


def status(arguments) -> int:
    from seedlock.bless import ENVIRONMENT, load_fingerprints
    from seedlock.profiles import (
        CONFIG_DIGITS,
        REFERENCES,
        parse_json,
        profile_of,
        read_reference,
        reference_folders,
    )
    from seedlock.trees import recorded_run, references_root, source_root
    from seedlock.verify import CLASSES, REPORT

    root = Path(".")  # relative, so that messages name files as the user sees them
    if not any((root / ENVIRONMENT).glob("*.json")):
        # Before the first run: what is here, and what to do.
        print(f"active profile: unknown until the workflow has run ({ENVIRONMENT}/ is empty)")
        folders = reference_folders(root / REFERENCES)
        print(
            f"references: {', '.join(str(folder) for folder in folders)}"
            if folders
            # A working directory other than the checkout: its run record will name the checkout.
            else "references: none here (in the workflow's folder, or where its config's "
            "verify.references says; seedlock bless writes them after a run)"
        )
        print("last verify: none (run the workflow: make run)")
        return 0
    run = recorded_run(root) or {}
    source = source_root(root, run)  # the locks, maybe in another folder
    references = references_root(root, run)
    key = profile_of(source, load_fingerprints(root))
    print(f"active profile: {key.id}")
    broken = False
    config = run.get("config_sha256")
    if isinstance(config, str):
        print(f"config: config_sha256 {config[:CONFIG_DIGITS]} (the last run's)")
        folders = reference_folders(references, config)
        exact = [folder for folder in folders if folder.name == key.id]
        if exact:
            try:
                read_reference(exact[0])  # checked whole, as verify reads them
                print(f"references for it: yes ({exact[0]})")
            except SeedlockError as error:
                print(f"references for it: unreadable: {error}")
                broken = True
        else:
            print("references for it: no (seedlock bless writes them)")
        if folders and not exact:
            print(f"this config's other profiles: {', '.join(f.name for f in folders)}")
    else:
        print("config: unknown until the workflow has run")
        others = [str(folder) for folder in reference_folders(references) if folder.name == key.id]
        if others:
            print(f"references of this profile: {', '.join(others)}")
    report_path = root / REPORT
    if report_path.is_file():
        report = parse_json(report_path, "rerun the workflow")
        counts = ", ".join(f"{report['counts'][c]} {c}" for c in CLASSES if c in report["counts"])
        against = report["profile"]["reference"]
        print(
            f"last verify: {report['status']} "
            + (f"against {against}" if against else "(no references for that run's config)")
            + (f" ({counts})" if counts else "")
        )
        changed = changed_since(root, report_path.stat().st_mtime)
        if changed:
            print(
                f"  stale: {len(changed)} outputs changed or went missing since, e.g. "
                f"{changed[0]}; rerun the workflow (make run) to verify again"
            )
    else:
        print("last verify: none (run the workflow: make run)")
    return EXIT_USER_ERROR if broken else 0


def changed_since(root: Path, when: float) -> list[str]:
    """The outputs of the last run (its checksum manifests) that are gone, or were written after
    ``when`` or with another size: what the last verify did not see."""
    from seedlock.checksums import read_manifest
    from seedlock.trees import CHECKSUM_FOLDER

    changed = []
    for manifest in sorted((root / CHECKSUM_FOLDER).glob("*.sha256")):
        for path, entry in read_manifest(manifest).items():
            try:
                stat = (root / path).stat()
            except FileNotFoundError:
                changed.append(path)
                continue
            if stat.st_size != entry.size or stat.st_mtime > when:
                changed.append(path)
    return sorted(changed)


def lock(arguments) -> int:
    from seedlock.errors import LockError
    from seedlock.locks import lock as lock_spec
    from seedlock.locks import specs_of

    mirror = arguments.mirror
    if mirror is not None and not mirror.is_dir():
        raise LockError(f"--mirror {mirror}: no such folder")
    for spec in specs_of(Path("."), arguments.env):
        lock_spec(spec, platforms=arguments.platform, mirror=mirror)
    return 0


def check_locks(arguments) -> int:
    from seedlock.errors import LockError
    from seedlock.locks import check_locks as find_problems
    from seedlock.locks import rule_env_problems, specs_of

    mirror = arguments.mirror
    if mirror is not None and not mirror.is_dir():
        raise LockError(f"--mirror {mirror}: no such folder")
    specs = specs_of(Path("."))
    problems = find_problems(Path("."), specs, mirror=mirror) + rule_env_problems(
        Path(".").resolve()
    )
    for problem in problems:
        print(f"seedlock: check-locks: {problem}", file=sys.stderr)
    if not problems:
        hashes = (
            f"every md5 and sha256 equals the channel's record in {mirror}"
            if mirror is not None
            else "hashes not checked against channel records (give --mirror DIR)"
        )
        print(
            f"check-locks: {len(specs)} locks current, pins equal their render, "
            f"every rule's env is pinned for every platform; {hashes}"
        )
    return 1 if problems else 0


# What each command's exit status means, shown by its --help.
EXIT_STATUS = {
    "verify": "0 PASS, or UNVERIFIED (no references for this config yet, unless "
    "verify.require_references); 1 FAIL; 2 a user error, or malformed or edited references",
    "bless": "0 written (or, with --dry-run, shown); 2 refused, with the reason on one line",
    "probe": "0 every output deterministic; 1 some are not; 2 a user error",
    "compare": "0 MATCH or EQUIVALENT; 1 DIFFERENT, MISSING or UNEXPECTED outputs; 2 a user error",
    "lock": "0 locked; 2 a user error (unknown env or platform, no solution, channel records "
    "missing from the mirror)",
    "check-locks": "0 every lock current; 1 problems, one line each; 2 a user error",
    "status": "0 shown; 2 malformed files, named on one line",
}


def add_command(commands, name: str, summary: str) -> argparse.ArgumentParser:
    """A subcommand whose --help opens with its summary and ends with its exit status."""
    return commands.add_parser(
        name,
        help=summary,
        description=f"{summary[0].upper()}{summary[1:]}.",
        epilog=f"exit status: {EXIT_STATUS[name]}",
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="seedlock",
        description="Verify that a Snakemake workflow's outputs are the references' bit for bit, "
        "explain where they are not, and keep the references and locks that this rests on. "
        "Run it in the workflow folder; each command's --help says what it does and what its "
        "exit status means. A user error prints one line and exits 2.",
    )
    root.add_argument("--version", action="version", version=f"seedlock {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    verify_parser = add_command(
        commands, "verify", "compare the outputs under results/ with this config's references"
    )
    verify_parser.add_argument(
        "--strict", action="store_true", help="also fail on EQUIVALENT and UNEXPECTED outputs"
    )
    verify_parser.add_argument(
        "--cross-env",
        action="store_true",
        help="accept the closest profile's references when none matches",
    )
    verify_parser.add_argument(
        "--config",
        type=Path,
        help="the config whose verify: section sets the tolerances (default: those the run "
        "recorded, else config.yaml's)",
    )
    verify_parser.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="also write the report as JSON to FILE; '-': JSON on stdout, the text on stderr",
    )
    verify_parser.set_defaults(handler=verify)

    write = add_command(
        commands, "bless", "write references/<config>/<profile>/ from the current, complete run"
    )
    write.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would be added, changed and removed; write nothing",
    )
    write.add_argument("--step", action="append", help="bless only this step (repeatable)")
    write.add_argument(
        "--values-max-bytes",
        type=int,
        default=256 * 1024,
        help="keep copies of outputs up to this size in values/",
    )
    write.add_argument(
        "--force",
        action="store_true",
        help="replace or remove outputs blessed before (each is listed), and bless outputs that "
        "the last probe found non-deterministic (recorded in provenance)",
    )
    write.set_defaults(handler=bless)

    vary = add_command(
        commands,
        "probe",
        "run the workflow in fresh copies, varying what must not matter; report which "
        "outputs are deterministic",
    )
    vary.add_argument("target", nargs="*", help="Snakemake targets (default: every step's outputs)")
    vary.add_argument(
        "--config", type=Path, default=Path("config.yaml"), help="the workflow config to run"
    )
    vary.add_argument("--cores", type=int, help="cores for each run (default: all)")
    vary.add_argument(
        "--threads",
        action="store_true",
        help="also run every step with 1 and 2 threads, to find the outputs whose bits depend "
        "on the thread count (on 2 cores this run takes 3 to 4 times a make run)",
    )
    vary.add_argument("--keep", action="store_true", help="keep the runs' folders and logs")
    vary.set_defaults(handler=probe)

    compare_parser = add_command(
        commands, "compare", "compare two result trees or reference profiles, output by output"
    )
    compare_parser.add_argument(
        "a", type=Path, help="a folder with results/, or references/<config>/<profile>/"
    )
    compare_parser.add_argument("b", type=Path, help="the same, the baseline A is compared with")
    compare_parser.add_argument(
        "--config",
        type=Path,
        default=Path("config.yaml"),
        help="the config whose verify: tolerances (cross_env_tolerances first) apply",
    )
    compare_parser.add_argument(
        "--exact",
        action="store_true",
        help="every output must be the same bytes: no tolerance, pickles and figures included",
    )
    compare_parser.add_argument("--rtol", type=float, help="relative tolerance for tables and JSON")
    compare_parser.add_argument("--atol", type=float, help="absolute tolerance for tables and JSON")
    compare_parser.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="also write the comparison as JSON to FILE; '-': JSON on stdout, the text on stderr",
    )
    compare_parser.set_defaults(handler=compare_trees)

    relock = add_command(
        commands, "lock", "solve env specs with py-rattler; write conda-lock files and pin files"
    )
    relock.add_argument(
        "env",
        nargs="*",
        help="env names (envs/NAME.yaml; 'environment' is the driver env); default: all",
    )
    relock.add_argument(
        "--platform",
        action="append",
        metavar="SUBDIR",
        help="solve only this platform (repeatable): any conda subdir, e.g. "
        f"{', '.join((*PLATFORMS, *OTHER_PLATFORMS))}; the other platforms a lock has stay as "
        f"they were locked. Default: {', '.join(PLATFORMS)} and every other platform the lock "
        "already has",
    )
    relock.add_argument(
        "--mirror",
        type=Path,
        help="solve offline against a local folder of "
        "<channel>/<subdir>/repodata.json, keeping the real channel URLs",
    )
    relock.set_defaults(handler=lock)

    audit = add_command(
        commands,
        "check-locks",
        "check offline that locks match their specs and pins match the locks",
    )
    audit.add_argument(
        "--mirror",
        type=Path,
        help="also check every locked package's md5 and sha256 against the channel records "
        "in this folder of <channel>/<subdir>/repodata.json",
    )
    audit.set_defaults(handler=check_locks)

    show = add_command(
        commands,
        "status",
        "the active profile, this config's references and the last verify, still current or not",
    )
    show.set_defaults(handler=status)
    return root


def main(argv=None) -> int:
    arguments = parser().parse_args(argv)
    try:
        return arguments.handler(arguments)
    except SeedlockError as error:
        for line in str(error).splitlines():  # one line per problem
            print(f"seedlock: error: {line}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as coreutils do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
