rule aggregate:
    input:
        metrics=per_replicate(rules.evaluate.output.metrics),
        folds=per_replicate(rules.cross_validate.output.folds),
        tests=outputs_of("permutation_test", rules.permutation_test.output.test),
    output:
        long="results/aggregate/metrics.csv",
        table="results/aggregate/table1.csv",
        markdown="results/aggregate/table1.md",
        html=report(
            "results/aggregate/table1.html",
            category="Table 1",
            caption="../report/table1.rst",
        ),
        cv_folds="results/aggregate/cv_folds.csv",
    log:
        "logs/aggregate/aggregate.log",
    benchmark:
        "logs/benchmarks/aggregate/aggregate.tsv"
    localrule: True
    conda:
        "../envs/ml.yaml"
    threads: threads_for("aggregate")
    params:
        code=code_of("aggregate"),
        metrics=experiment["metrics"],
        compute=compute_pins,
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
        bars_png=report(
            "results/figures/metric_bars.png",
            category="Figures",
            caption="../report/metric_bars.rst",
        ),
        bars_svg="results/figures/metric_bars.svg",
        detail_png=report(
            f"results/figures/{DETAIL_FIGURE[task]}.png",
            category="Figures",
            caption=f"../report/{DETAIL_FIGURE[task]}.rst",
        ),
        detail_svg=f"results/figures/{DETAIL_FIGURE[task]}.svg",
    log:
        "logs/figures/figures.log",
    benchmark:
        "logs/benchmarks/figures/figures.tsv"
    conda:
        "../envs/ml.yaml"
    threads: threads_for("figures")
    params:
        code=code_of("figures"),
        metrics=experiment["metrics"],
        task=task,
        compute=compute_pins,
        seed=seed_for("figures"),
        threads=threads_for("figures"),
    script:
        "../scripts/figures.py"
