"""greeting: the language's name and eight numbers drawn from the job's seed, as one line."""

import random

from seedlock.runtime import start_job


def greeting(language: str, seed: int) -> str:
    numbers = random.Random(seed).sample(range(1000), 8)
    return f"hello ({language}): {' '.join(str(n) for n in numbers)}\n"


def main(snakemake):
    with start_job(snakemake) as job:
        from seedlock.writers import write_text

        write_text(job.output.text, greeting(job.wildcards["language"], job.seed))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
