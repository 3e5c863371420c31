rule sample:
    output:
        LAYOUT.latents("{shard}"),
    params:
        view=view("sample"),
    threads: config["threads"]
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
        **IMAGE_JOB,
    log:
        LAYOUT.log("sample", "{shard}"),
    benchmark:
        LAYOUT.benchmark("sample", "{shard}")
    shell:
        "interfacegan stage sample --view {params.view:q} --shard {wildcards.shard} > {log} 2>&1"


rule planted_truth:
    output:
        LAYOUT.planted_truth,
    params:
        view=view("truth"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("truth", "planted"),
    benchmark:
        LAYOUT.benchmark("truth", "planted")
    shell:
        "interfacegan stage truth --view {params.view:q} > {log} 2>&1"
