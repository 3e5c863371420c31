rule separability_table:
    input:
        [LAYOUT.boundary(a, s) for s in config["spaces"] for a in config["attributes"]],
    output:
        LAYOUT.table("separability"),
        LAYOUT.table("separability_by_distance"),
        LAYOUT.figure("separability_by_distance"),
    params:
        view=view("table"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("table", "separability"),
    benchmark:
        LAYOUT.benchmark("table", "separability")
    shell:
        "interfacegan stage table --view {params.view:q} > {log} 2>&1"
