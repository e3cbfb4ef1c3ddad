"""The workflow's verified steps, in DAG order, and which steps each one depends on.

Every verified output lives under ``results/<step>/``, so a path names its step. A test checks
this table against the rule graph Snakemake itself builds.
"""

RESULTS = "results"

# Upstream steps of each step (direct and indirect), in DAG order.
UPSTREAM: dict[str, tuple[str, ...]] = {
    "prepare_data": (),
    "split": ("prepare_data",),
    "train": ("prepare_data", "split"),
    "evaluate": ("prepare_data", "split", "train"),
    "cross_validate": ("prepare_data", "split"),
    "aggregate": ("prepare_data", "split", "train", "evaluate", "cross_validate"),
    "figures": ("prepare_data", "split", "train", "evaluate", "cross_validate", "aggregate"),
}

STEPS: tuple[str, ...] = tuple(UPSTREAM)


def step_of(path: str) -> str | None:
    """The step that wrote ``path`` (relative to the repository root), or None for other files."""
    parts = path.split("/", 2)
    if len(parts) == 3 and parts[0] == RESULTS and parts[1] in UPSTREAM and parts[2]:
        return parts[1]
    return None
