# Is each tested model's cross-validated score better than chance? The p-values go into Table 1.
rule permutation_test:
    input:
        table=rules.prepare_data.output.table,
    output:
        test="results/permutation_test/{dataset}/{model}.json",
    log:
        "logs/permutation_test/{dataset}/{model}.log",
    benchmark:
        "logs/benchmarks/permutation_test/{dataset}/{model}.tsv"
    conda:
        "../envs/ml.yaml"
    threads: threads_for("permutation_test")
    params:
        spec=lambda wildcards: experiment["models"][wildcards.model],
        cv=experiment["cross_validation"],
        n_permutations=experiment["permutation_test"]["n_permutations"],
        scoring=analysis_scoring(experiment, "permutation_test"),
        task=task,
        code=code_of("permutation_test"),
        compute=compute_pins,
        seed=seed_for("permutation_test"),
        threads=threads_for("permutation_test"),
    script:
        "../scripts/permutation_test.py"
