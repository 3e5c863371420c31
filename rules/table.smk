rule separability_table:
    input:
        pipeline.inputs(config, LAYOUT, "separability_table", {}),
    output:
        pipeline.outputs(config, LAYOUT, "separability_table", report),
    log:
        LAYOUT.log("table", "separability"),
    benchmark:
        LAYOUT.benchmark("table", "separability")
    conda:
        "../envs/interfacegan.yaml"
    resources:
        **PARTITION,
    params:
        view=pipeline.view_json(config, "separability_table"),
    shell:
        pipeline.command("separability_table")
