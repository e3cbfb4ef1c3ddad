"""Errors a user can cause. Each carries a one-line message naming the file, the key and the fix."""


class SeedlockError(Exception):
    """Base class: the CLI prints these without a traceback and exits 2."""


class ConfigError(SeedlockError):
    """A workflow's config is invalid."""

    def __init__(self, source: str, key: str, problem: str):
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: {key}: {problem}")


class ConfigErrors(ConfigError):
    """Several problems in one config, reported together: one line each."""

    def __init__(self, errors: list[ConfigError]):
        self.errors = errors
        first = errors[0]
        super().__init__(first.source, first.key, first.problem)
        self.args = ("\n".join(str(error) for error in errors),)

    def __str__(self) -> str:
        return self.args[0]


class ManifestError(SeedlockError):
    """A checksum manifest or reference file is malformed or unsafe."""


class ReferenceProfileError(SeedlockError):
    """References are missing, incomplete, or cannot be written."""


class LockError(SeedlockError):
    """An environment spec cannot be locked, or its lock cannot be read."""
