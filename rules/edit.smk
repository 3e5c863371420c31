rule edit_grids:
    input:
        pipeline.inputs(config, LAYOUT, "edit_grids", {}),
    output:
        pipeline.outputs(config, LAYOUT, "edit_grids", report),
    params:
        view=pipeline.view_json(config, "edit_grids"),
    threads: config["threads"]
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
        **IMAGE_JOB,
    log:
        LAYOUT.log("edit", "grids"),
    benchmark:
        LAYOUT.benchmark("edit", "grids")
    conda:
        "../envs/interfacegan.yaml"
    shell:
        pipeline.command("edit_grids")
