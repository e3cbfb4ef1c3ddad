# packed: each greeting compressed with zlib, a small binary (a shell step). zlib's output
# depends on its version, which the reference profile records.
rule packed:
    input:
        text=rules.greeting.output.text,
    output:
        packed="results/packed/{language}.zlib",
    log:
        "logs/packed/{language}.log",
    benchmark:
        "logs/benchmarks/packed/{language}.tsv"
    conda:
        "../envs/base.yaml"
    threads: threads_for("packed")
    params:
        compute=compute_pins,
        seed=seed_for("packed"),
        threads=threads_for("packed"),
    shell:
        "python -c 'import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read(), 9))'"
        " < {input.text} > {output.packed} 2> {log}"
