"""The ``seedlock`` command. User errors print one line and exit 2, never a traceback."""

import argparse
import sys
from pathlib import Path

from seedlock import __version__
from seedlock.errors import SeedlockError

EXIT_USER_ERROR = 2


def check_config(arguments) -> int:
    from seedlock.config import load_config
    from seedlock.seeds import replicate_ids

    config = load_config(arguments.config, base_dir=Path.cwd())
    print(
        f"{arguments.config}: valid: {len(config['datasets'])} datasets, "
        f"{len(config['models'])} models, {len(replicate_ids(config['seeds']))} replicates"
    )
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="seedlock", description=__doc__)
    root.add_argument("--version", action="version", version=f"seedlock {__version__}")
    commands = root.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check-config",
        help="validate an experiment config against the schema, without running anything",
    )
    check.add_argument("config", nargs="?", type=Path, default=Path("config.yaml"))
    check.set_defaults(handler=check_config)
    return root


def main(argv=None) -> int:
    arguments = parser().parse_args(argv)
    try:
        return arguments.handler(arguments)
    except SeedlockError as error:
        print(f"seedlock: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(main())
