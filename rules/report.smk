rule summary:
    input:
        pipeline.inputs(config, LAYOUT, "summary", {}),
    output:
        pipeline.outputs(config, LAYOUT, "summary"),
    log:
        LAYOUT.log("report", "summary"),
    benchmark:
        LAYOUT.benchmark("report", "summary")
    conda:
        "../envs/interfacegan.yaml"
    resources:
        **PARTITION,
    params:
        view=pipeline.view_json(config, "summary"),
    shell:
        pipeline.command("summary")
