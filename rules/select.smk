rule select:
    input:
        lambda w: pipeline.inputs(config, LAYOUT, "select", w),
    output:
        pipeline.outputs(config, LAYOUT, "select"),
    params:
        view=pipeline.view_json(config, "select"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("select", "{attribute}"),
    benchmark:
        LAYOUT.benchmark("select", "{attribute}")
    conda:
        "../envs/interfacegan.yaml"
    shell:
        pipeline.command("select")
