rule select:
    input:
        lambda w: pipeline.inputs(config, LAYOUT, "select", w),
    output:
        pipeline.outputs(config, LAYOUT, "select"),
    log:
        LAYOUT.log("select", "{attribute}"),
    benchmark:
        LAYOUT.benchmark("select", "{attribute}")
    conda:
        "../envs/interfacegan.yaml"
    resources:
        **PARTITION,
    params:
        view=pipeline.view_json(config, "select"),
    shell:
        pipeline.command("select")
