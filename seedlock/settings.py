"""The toolchain's settings in a workflow's config: seeds, threads, compute_baseline, verify.

Their schema (``seedlock/schemas/settings.schema.yaml``) ships with the package, so the CLI and
the bookkeeping rules read them from any workflow's config without knowing its other keys. A
workflow's own schema may refine these keys (a default of its own); ``refined`` merges the two.
"""

import copy
import difflib
from collections.abc import Mapping
from pathlib import Path

import jsonschema
import yaml

from seedlock.errors import ConfigError, ConfigErrors

SETTINGS_SCHEMA = Path(__file__).resolve().parent / "schemas" / "settings.schema.yaml"
KEYS = ("seeds", "threads", "compute_baseline", "verify")


def _fill_defaults(validator_class):
    """A validator class that also writes each missing property's default into the instance."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def properties_with_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": properties_with_defaults})


DefaultFillingValidator = _fill_defaults(jsonschema.Draft202012Validator)


def read_yaml(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def refined(base: Mapping, refinement: Mapping) -> dict:
    """``base`` with every mapping of ``refinement`` merged in, key by key; other values of
    ``refinement`` replace ``base``'s."""
    merged = copy.deepcopy(dict(base))
    for key, value in refinement.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = refined(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def key_path(parts) -> str:
    """``verify.tolerances[0].rtol`` or ``seeds.root`` from a jsonschema path, or
    ``(top level)``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"


def _problems(error: jsonschema.ValidationError, source: str) -> list[ConfigError]:
    """One error of the schema's, in a user's words: an unknown key with the key it most
    likely meant, a missing key, a value outside its choices."""
    where = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {}))
        problems = []
        for key in sorted(set(error.instance) - set(known), key=str):
            guess = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f"did you mean {guess[0]!r}?" if guess else f"known keys: {', '.join(known)}"
            problems.append(ConfigError(source, key_path([*where, key]), f"unknown key; {hint}"))
        if problems:
            return problems
    if error.validator == "required" and isinstance(error.validator_value, list):
        missing = [k for k in error.validator_value if k not in (error.instance or {})]
        if missing:
            return [
                ConfigError(source, key_path([*where, key]), "missing; this key is required")
                for key in missing
            ]
    if error.validator == "enum":
        choices = ", ".join(repr(choice) for choice in error.validator_value)
        return [ConfigError(source, key_path(where), f"{error.instance!r} is not one of {choices}")]
    return [ConfigError(source, key_path(where), error.message)]


def validated(config: Mapping, schema: Mapping, source: str) -> dict:
    """A copy of ``config`` with ``schema``'s defaults filled in, or a ``ConfigError`` naming
    the key of every problem, one line each (``ConfigErrors`` when there are several)."""
    resolved = copy.deepcopy(dict(config))
    validator = DefaultFillingValidator(schema)
    errors = sorted(
        validator.iter_errors(resolved),
        key=lambda e: (key_path(e.absolute_path), jsonschema.exceptions.relevance(e)),
    )
    problems: list[ConfigError] = []
    for error in errors:
        # Of the alternatives a value failed (anyOf, oneOf), the one most likely meant.
        best = jsonschema.exceptions.best_match([error])
        for problem in _problems(best, source):
            if str(problem) not in {str(p) for p in problems}:
                problems.append(problem)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ConfigErrors(problems)
    # A schema default inside a default is not filled on the first pass; a second pass fills them.
    validator.validate(resolved)
    return resolved


def validate_settings(config: Mapping, source: str) -> dict:
    """The toolchain's keys of ``config``, validated, with defaults filled in. Other keys are
    the workflow's and are not looked at."""
    resolved = validated(
        {key: config[key] for key in KEYS if key in config}, read_yaml(SETTINGS_SCHEMA), source
    )
    check_replicate_seeds(resolved, source)
    return resolved


def check_replicate_seeds(config: Mapping, source: str) -> None:
    """What the schema cannot say: explicit replicate seeds differ."""
    explicit = config["seeds"]["explicit"]
    if len(set(explicit)) != len(explicit):
        raise ConfigError(source, "seeds.explicit", "lists a seed twice; replicates must differ")


def read_config(path: Path) -> dict:
    """A config file's mapping, or a ``ConfigError`` saying why it cannot be read."""
    try:
        config = read_yaml(path)
    except OSError as error:
        raise ConfigError(str(path), "(file)", f"cannot read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            str(path), "(file)", f"not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    except yaml.YAMLError as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ConfigError(str(path), "(file)", f"not valid YAML{line}: {first}") from None
    except RecursionError:
        raise ConfigError(str(path), "(file)", "nested too deeply to be a config") from None
    except ValueError as error:  # an integer of thousands of digits, say
        first = (str(error).splitlines() or [type(error).__name__])[0]
        raise ConfigError(str(path), "(file)", f"a value cannot be read: {first}") from None
    if config is None:
        # Snakemake refuses an empty config file too.
        raise ConfigError(str(path), "(file)", "empty; a config names at least its keys")
    if not isinstance(config, dict):
        raise ConfigError(str(path), "(top level)", "must be a mapping of keys to values")
    return config


def load_settings(path: Path) -> dict:
    """The toolchain's settings from a config file (for the CLI and the probe)."""
    return validate_settings(read_config(path), str(path))
