"""python -m experiment check-config [CONFIG]: validate an experiment config without running
anything. A user error prints one line and exits 2, never a traceback."""

import argparse
import sys
from pathlib import Path

from seedlock.errors import SeedlockError

EXIT_USER_ERROR = 2


def check_config(config_path: Path) -> str:
    from experiment.config import experiment_task, load_config
    from seedlock.seeds import replicate_ids

    config = load_config(config_path, base_dir=Path.cwd())
    # Checked by load_config already; the modules are imported, so this is quick.
    task = experiment_task(config, str(config_path))
    return (
        f"{config_path}: valid: {task}, {len(config['datasets'])} datasets, "
        f"{len(config['models'])} models, {len(replicate_ids(config['seeds']))} replicates"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiment", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check-config",
        help="validate an experiment config without running anything",
        description="Validate an experiment config without running anything: the schema, the "
        "estimators and their parameters, the datasets' content against the split and folds.",
        epilog="exit status: 0 valid; 2 invalid, with the file, the key and the fix on one line",
    )
    check.add_argument(
        "config",
        nargs="?",
        type=Path,
        default=Path("config.yaml"),
        help="the config file to check (default: config.yaml)",
    )
    arguments = parser.parse_args(argv)
    try:
        print(check_config(arguments.config))
    except SeedlockError as error:
        for line in str(error).splitlines():  # one line per problem
            print(f"experiment: error: {line}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
