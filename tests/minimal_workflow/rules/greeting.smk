# greeting: a seeded line of numbers per language, as text (a Python step).
rule greeting:
    output:
        text="results/greeting/{language}.txt",
    log:
        "logs/greeting/{language}.log",
    benchmark:
        "logs/benchmarks/greeting/{language}.tsv"
    conda:
        "../envs/base.yaml"
    threads: threads_for("greeting")
    params:
        code=code_of("greeting"),
        compute=compute_pins,
        seed=seed_for("greeting"),
        threads=threads_for("greeting"),
    script:
        "../scripts/greeting.py"
