rule select:
    input:
        LAYOUT.merged_scores,
    output:
        LAYOUT.selection("{attribute}"),
    params:
        view=view("select"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("select", "{attribute}"),
    benchmark:
        LAYOUT.benchmark("select", "{attribute}")
    shell:
        "interfacegan stage select --view {params.view:q} --attribute {wildcards.attribute} > {log} 2>&1"
