rule prepare_data:
    input:
        unpack(dataset_files),
    output:
        table="results/prepare_data/{dataset}.csv",
        meta="results/prepare_data/{dataset}.json",
    log:
        "logs/prepare_data/{dataset}.log",
    benchmark:
        "logs/benchmarks/prepare_data/{dataset}.tsv"
    conda:
        "../envs/ml.yaml"
    threads: threads_for("prepare_data")
    params:
        code=code_of("prepare_data"),
        spec=lambda wildcards: experiment["datasets"][wildcards.dataset],
        task=task,
        compute=compute_pins,
        seed=seed_for("prepare_data"),
        threads=threads_for("prepare_data"),
    script:
        "../scripts/prepare_data.py"


rule split:
    input:
        table=rules.prepare_data.output.table,
    output:
        indices="results/split/{dataset}/rep{replicate}.json",
    log:
        "logs/split/{dataset}/rep{replicate}.log",
    benchmark:
        "logs/benchmarks/split/{dataset}/rep{replicate}.tsv"
    conda:
        "../envs/ml.yaml"
    threads: threads_for("split")
    params:
        code=code_of("split"),
        split=experiment["split"],
        task=task,
        compute=compute_pins,
        seed=seed_for("split"),
        threads=threads_for("split"),
    script:
        "../scripts/split.py"
