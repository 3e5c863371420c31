rule boundary:
    input:
        LAYOUT.selection("{attribute}"),
        [LAYOUT.latents(shard) for shard in SHARDS],
    output:
        LAYOUT.boundary("{attribute}", "{space}"),
    params:
        view=view("boundary"),
    threads: config["threads"]
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
        **PARTITION,
    log:
        LAYOUT.log("boundary", "{attribute}_{space}"),
    benchmark:
        LAYOUT.benchmark("boundary", "{attribute}_{space}")
    shell:
        "interfacegan stage boundary --view {params.view:q} --attribute {wildcards.attribute}"
        " --space {wildcards.space} > {log} 2>&1"


rule conditional_boundary:
    input:
        lambda w: [LAYOUT.boundary(a, w.space) for a in CONDITIONS[w.name]],
    output:
        LAYOUT.boundary("{name}", "{space}"),
    params:
        view=view("conditional"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("conditional", "{name}_{space}"),
    benchmark:
        LAYOUT.benchmark("conditional", "{name}_{space}")
    shell:
        "interfacegan stage conditional --view {params.view:q} --boundary {wildcards.name}"
        " --space {wildcards.space} > {log} 2>&1"
