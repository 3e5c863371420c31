# Where each attribute lives in W+: layer-wise re-scoring of the w boundaries.


rule layerwise_table:
    input:
        pipeline.inputs(config, LAYOUT, "layerwise_table", {}),
    output:
        pipeline.outputs(config, LAYOUT, "layerwise_table", report),
    log:
        LAYOUT.log("analysis", "layerwise"),
    benchmark:
        LAYOUT.benchmark("analysis", "layerwise")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 120 * attempt,
    params:
        view=pipeline.view_json(config, "layerwise_table"),
    shell:
        pipeline.command("layerwise_table")
