rule sample:
    input:
        lambda w: pipeline.inputs(config, LAYOUT, "sample", w),
    output:
        pipeline.outputs(config, LAYOUT, "sample"),
    params:
        view=pipeline.view_json(config, "sample"),
    threads: config["threads"]
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
        **IMAGE_JOB,
    log:
        LAYOUT.log("sample", "{shard}"),
    benchmark:
        LAYOUT.benchmark("sample", "{shard}")
    conda:
        "../envs/interfacegan.yaml"
    shell:
        pipeline.command("sample")


rule planted_truth:
    output:
        pipeline.outputs(config, LAYOUT, "planted_truth"),
    params:
        view=pipeline.view_json(config, "planted_truth"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("truth", "planted"),
    benchmark:
        LAYOUT.benchmark("truth", "planted")
    conda:
        "../envs/interfacegan.yaml"
    shell:
        pipeline.command("planted_truth")
