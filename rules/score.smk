rule score:
    input:
        lambda w: pipeline.inputs(config, LAYOUT, "score", w),
    output:
        pipeline.outputs(config, LAYOUT, "score"),
    log:
        LAYOUT.log("score", "{shard}"),
    benchmark:
        LAYOUT.benchmark("score", "{shard}")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 120 * attempt,
    params:
        view=pipeline.view_json(config, "score"),
    shell:
        pipeline.command("score")


rule merge_scores:
    input:
        pipeline.inputs(config, LAYOUT, "merge_scores", {}),
    output:
        pipeline.outputs(config, LAYOUT, "merge_scores"),
    log:
        LAYOUT.log("score", "merge"),
    benchmark:
        LAYOUT.benchmark("score", "merge")
    conda:
        "../envs/interfacegan.yaml"
    resources:
        **PARTITION,
    params:
        view=pipeline.view_json(config, "merge_scores"),
    shell:
        pipeline.command("merge_scores")
