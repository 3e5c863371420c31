rule separability_table:
    input:
        pipeline.inputs(config, LAYOUT, "separability_table", {}),
    output:
        pipeline.outputs(config, LAYOUT, "separability_table", report),
    params:
        view=pipeline.view_json(config, "separability_table"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("table", "separability"),
    benchmark:
        LAYOUT.benchmark("table", "separability")
    conda:
        "../envs/interfacegan.yaml"
    shell:
        pipeline.command("separability_table")
