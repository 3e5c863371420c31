rule score:
    input:
        LAYOUT.latents("{shard}"),
    output:
        LAYOUT.scores("{shard}"),
    params:
        view=view("score"),
    threads: config["threads"]
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 120 * attempt,
        **IMAGE_JOB,
    log:
        LAYOUT.log("score", "{shard}"),
    benchmark:
        LAYOUT.benchmark("score", "{shard}")
    shell:
        "interfacegan stage score --view {params.view:q} --shard {wildcards.shard} > {log} 2>&1"


rule merge_scores:
    input:
        [LAYOUT.scores(shard) for shard in SHARDS],
    output:
        LAYOUT.merged_scores,
    params:
        view=view("score"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("score", "merge"),
    benchmark:
        LAYOUT.benchmark("score", "merge")
    shell:
        "interfacegan stage merge --view {params.view:q} > {log} 2>&1"
