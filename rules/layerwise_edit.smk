# The W+ edit grids on each boundary's own layers (edit.wp_layers: auto).


rule layerwise_edit_grids:
    input:
        pipeline.inputs(config, LAYOUT, "layerwise_edit_grids", {}),
    output:
        pipeline.outputs(config, LAYOUT, "layerwise_edit_grids", report),
    log:
        LAYOUT.log("edit", "layerwise_grids"),
    benchmark:
        LAYOUT.benchmark("edit", "layerwise_grids")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
    params:
        view=pipeline.view_json(config, "layerwise_edit_grids"),
    shell:
        pipeline.command("layerwise_edit_grids")
