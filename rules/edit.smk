rule edit_grids:
    input:
        [LAYOUT.boundary(b, s) for s in config["spaces"] for b in BOUNDARIES],
    output:
        [LAYOUT.edit_grid(b, s) for s in configuration.edit_spaces(config) for b in BOUNDARIES],
    params:
        view=view("edit"),
    threads: config["threads"]
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
        **IMAGE_JOB,
    log:
        LAYOUT.log("edit", "grids"),
    benchmark:
        LAYOUT.benchmark("edit", "grids")
    shell:
        "interfacegan stage edit --view {params.view:q} > {log} 2>&1"
