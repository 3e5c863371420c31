rule boundary:
    input:
        lambda w: pipeline.inputs(config, LAYOUT, "boundary", w),
    output:
        pipeline.outputs(config, LAYOUT, "boundary"),
    log:
        LAYOUT.log("boundary", "{attribute}_{space}"),
    benchmark:
        LAYOUT.benchmark("boundary", "{attribute}_{space}")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **PARTITION,
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
    params:
        view=pipeline.view_json(config, "boundary"),
    shell:
        pipeline.command("boundary")


rule conditional_boundary:
    input:
        lambda w: pipeline.inputs(config, LAYOUT, "conditional_boundary", w),
    output:
        pipeline.outputs(config, LAYOUT, "conditional_boundary"),
    log:
        LAYOUT.log("conditional", "{boundary}_{space}"),
    benchmark:
        LAYOUT.benchmark("conditional", "{boundary}_{space}")
    conda:
        "../envs/interfacegan.yaml"
    resources:
        **PARTITION,
    params:
        view=pipeline.view_json(config, "conditional_boundary"),
    shell:
        pipeline.command("conditional_boundary")
