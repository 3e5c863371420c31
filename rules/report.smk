rule summary:
    input:
        pipeline.inputs(config, LAYOUT, "summary", {}),
    output:
        pipeline.outputs(config, LAYOUT, "summary"),
    params:
        view=pipeline.view_json(config, "summary"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("report", "summary"),
    benchmark:
        LAYOUT.benchmark("report", "summary")
    conda:
        "../envs/interfacegan.yaml"
    shell:
        pipeline.command("summary")
