# Scores as the training rows grow, for each drawn (dataset, model), and the figure of them all.
rule learning_curve:
    input:
        table=rules.prepare_data.output.table,
    output:
        curve="results/learning_curve/{dataset}/{model}.csv",
    log:
        "logs/learning_curve/{dataset}/{model}.log",
    benchmark:
        "logs/benchmarks/learning_curve/{dataset}/{model}.tsv"
    conda:
        "../envs/ml.yaml"
    threads: threads_for("learning_curve")
    params:
        spec=lambda wildcards: experiment["models"][wildcards.model],
        cv=experiment["cross_validation"],
        train_sizes=experiment["learning_curve"]["train_sizes"],
        scoring=analysis_scoring(experiment, "learning_curve"),
        task=task,
        code=code_of("learning_curve"),
        compute=compute_pins,
        seed=seed_for("learning_curve"),
        threads=threads_for("learning_curve"),
    script:
        "../scripts/learning_curve.py"


rule learning_curves:
    input:
        curves=outputs_of("learning_curve", rules.learning_curve.output.curve),
    output:
        png=report(
            "results/learning_curves/learning_curves.png",
            category="Figures",
            caption="../report/learning_curves.rst",
        ),
        svg="results/learning_curves/learning_curves.svg",
    log:
        "logs/learning_curves/learning_curves.log",
    benchmark:
        "logs/benchmarks/learning_curves/learning_curves.tsv"
    conda:
        "../envs/ml.yaml"
    threads: threads_for("learning_curves")
    params:
        scoring=analysis_scoring(experiment, "learning_curve"),
        code=code_of("learning_curves"),
        compute=compute_pins,
        seed=seed_for("learning_curves"),
        threads=threads_for("learning_curves"),
    script:
        "../scripts/learning_curves.py"
