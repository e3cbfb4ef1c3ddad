rule evaluate:
    input:
        table=rules.prepare_data.output.table,
        indices=rules.split.output.indices,
        model=rules.train.output.model,
    output:
        metrics="results/evaluate/{dataset}/{model}/rep{replicate}.json",
        predictions="results/evaluate/{dataset}/{model}/rep{replicate}.predictions.csv",
    log:
        "logs/evaluate/{dataset}/{model}/rep{replicate}.log",
    benchmark:
        "logs/benchmarks/evaluate/{dataset}/{model}/rep{replicate}.tsv"
    conda:
        "../envs/ml.yaml"
    threads: threads_for("evaluate")
    params:
        code=code_of("evaluate"),
        metrics=experiment["metrics"],
        task=task,
        compute=compute_pins,
        seed=seed_for("evaluate"),
        threads=threads_for("evaluate"),
    script:
        "../scripts/evaluate.py"


rule cross_validate:
    input:
        table=rules.prepare_data.output.table,
        indices=rules.split.output.indices,
    output:
        folds="results/cross_validate/{dataset}/{model}/rep{replicate}.csv",
    log:
        "logs/cross_validate/{dataset}/{model}/rep{replicate}.log",
    benchmark:
        "logs/benchmarks/cross_validate/{dataset}/{model}/rep{replicate}.tsv"
    conda:
        "../envs/ml.yaml"
    threads: threads_for("cross_validate")
    params:
        code=code_of("cross_validate"),
        spec=lambda wildcards: experiment["models"][wildcards.model],
        cv=experiment["cross_validation"],
        metrics=experiment["metrics"],
        task=task,
        compute=compute_pins,
        seed=seed_for("cross_validate"),
        threads=threads_for("cross_validate"),
    script:
        "../scripts/cross_validate.py"
