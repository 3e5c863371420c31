rule boundary:
    input:
        LAYOUT.selection("{attribute}"),
        [LAYOUT.latents(shard) for shard in SHARDS],
    output:
        LAYOUT.boundary("{attribute}", "{space}"),
    params:
        view=view("boundary"),
    threads: config["threads"]
    log:
        LAYOUT.log("boundary", "{attribute}_{space}"),
    benchmark:
        LAYOUT.benchmark("boundary", "{attribute}_{space}")
    shell:
        "interfacegan stage boundary --view {params.view:q} --attribute {wildcards.attribute}"
        " --space {wildcards.space} > {log} 2>&1"
