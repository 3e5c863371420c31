rule score:
    input:
        lambda w: pipeline.inputs(config, LAYOUT, "score", w),
    output:
        pipeline.outputs(config, LAYOUT, "score"),
    params:
        view=pipeline.view_json(config, "score"),
    threads: config["threads"]
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 120 * attempt,
        **IMAGE_JOB,
    log:
        LAYOUT.log("score", "{shard}"),
    benchmark:
        LAYOUT.benchmark("score", "{shard}")
    conda:
        "../envs/interfacegan.yaml"
    shell:
        pipeline.command("score")


rule merge_scores:
    input:
        pipeline.inputs(config, LAYOUT, "merge_scores", {}),
    output:
        pipeline.outputs(config, LAYOUT, "merge_scores"),
    params:
        view=pipeline.view_json(config, "merge_scores"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("score", "merge"),
    benchmark:
        LAYOUT.benchmark("score", "merge")
    conda:
        "../envs/interfacegan.yaml"
    shell:
        pipeline.command("merge_scores")
