rule boundary:
    input:
        lambda w: pipeline.inputs(config, LAYOUT, "boundary", w),
    output:
        pipeline.outputs(config, LAYOUT, "boundary"),
    params:
        view=pipeline.view_json(config, "boundary"),
    threads: config["threads"]
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
        **PARTITION,
    log:
        LAYOUT.log("boundary", "{attribute}_{space}"),
    benchmark:
        LAYOUT.benchmark("boundary", "{attribute}_{space}")
    conda:
        "../envs/interfacegan.yaml"
    shell:
        pipeline.command("boundary")


rule conditional_boundary:
    input:
        lambda w: pipeline.inputs(config, LAYOUT, "conditional_boundary", w),
    output:
        pipeline.outputs(config, LAYOUT, "conditional_boundary"),
    params:
        view=pipeline.view_json(config, "conditional_boundary"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("conditional", "{boundary}_{space}"),
    benchmark:
        LAYOUT.benchmark("conditional", "{boundary}_{space}")
    conda:
        "../envs/interfacegan.yaml"
    shell:
        pipeline.command("conditional_boundary")
