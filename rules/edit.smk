rule edit_grids:
    input:
        pipeline.inputs(config, LAYOUT, "edit_grids", {}),
    output:
        pipeline.outputs(config, LAYOUT, "edit_grids", report),
    log:
        LAYOUT.log("edit", "grids"),
    benchmark:
        LAYOUT.benchmark("edit", "grids")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
    params:
        view=pipeline.view_json(config, "edit_grids"),
    shell:
        pipeline.command("edit_grids")
