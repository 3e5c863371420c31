rule summary:
    input:
        rules.separability_table.output,
        rules.cosine_table.output,
        rules.correlation_table.output,
        rules.rescoring_table.output,
        rules.linearity_table.output,
        rules.edit_grids.output,
        rules.correlation_real_table.output if config["real_data"] else [],
    output:
        LAYOUT.summary,
    params:
        view=view("report"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("report", "summary"),
    benchmark:
        LAYOUT.benchmark("report", "summary")
    shell:
        "interfacegan stage report --view {params.view:q} > {log} 2>&1"
