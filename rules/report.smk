rule aggregate:
    input:
        metrics=per_replicate(rules.evaluate.output.metrics),
        folds=per_replicate(rules.cross_validate.output.folds),
    output:
        long="results/aggregate/metrics.csv",
        table="results/aggregate/table1.csv",
        markdown="results/aggregate/table1.md",
    log:
        "logs/aggregate/aggregate.log",
    benchmark:
        "logs/benchmarks/aggregate/aggregate.tsv"
    conda:
        "../envs/ml.yaml"
    threads: threads_for("aggregate")
    params:
        metrics=experiment["metrics"],
        seed=seed_for("aggregate"),
        threads=threads_for("aggregate"),
    script:
        "../scripts/aggregate.py"


rule figures:
    input:
        long=rules.aggregate.output.long,
        predictions=per_replicate(rules.evaluate.output.predictions),
        meta=expand(rules.prepare_data.output.meta, dataset=datasets()),
    output:
        bars_png="results/figures/metric_bars.png",
        bars_svg="results/figures/metric_bars.svg",
        confusion_png="results/figures/confusion_matrices.png",
        confusion_svg="results/figures/confusion_matrices.svg",
    log:
        "logs/figures/figures.log",
    benchmark:
        "logs/benchmarks/figures/figures.tsv"
    conda:
        "../envs/ml.yaml"
    threads: threads_for("figures")
    params:
        metrics=experiment["metrics"],
        seed=seed_for("figures"),
        threads=threads_for("figures"),
    script:
        "../scripts/figures.py"
