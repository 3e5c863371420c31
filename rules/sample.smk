rule sample:
    input:
        lambda w: pipeline.inputs(config, LAYOUT, "sample", w),
    output:
        pipeline.outputs(config, LAYOUT, "sample"),
    log:
        LAYOUT.log("sample", "{shard}"),
    benchmark:
        LAYOUT.benchmark("sample", "{shard}")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    params:
        view=pipeline.view_json(config, "sample"),
    shell:
        pipeline.command("sample")


rule planted_truth:
    output:
        pipeline.outputs(config, LAYOUT, "planted_truth"),
    log:
        LAYOUT.log("truth", "planted"),
    benchmark:
        LAYOUT.benchmark("truth", "planted")
    conda:
        "../envs/interfacegan.yaml"
    resources:
        **PARTITION,
    params:
        view=pipeline.view_json(config, "planted_truth"),
    shell:
        pipeline.command("planted_truth")
