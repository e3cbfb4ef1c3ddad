rule train:
    input:
        table=rules.prepare_data.output.table,
        indices=rules.split.output.indices,
    output:
        model="results/train/{dataset}/{model}/rep{replicate}.pkl",
    log:
        "logs/train/{dataset}/{model}/rep{replicate}.log",
    benchmark:
        "logs/benchmarks/train/{dataset}/{model}/rep{replicate}.tsv"
    conda:
        "../envs/ml.yaml"
    threads: threads_for("train")
    params:
        code=code_of("train"),
        spec=lambda wildcards: experiment["models"][wildcards.model],
        compute=compute_pins,
        seed=seed_for("train"),
        threads=threads_for("train"),
    script:
        "../scripts/train.py"
