# Tables of the paper: cosines between boundaries, score correlations, re-scoring, linearity.


rule cosine_table:
    input:
        [LAYOUT.boundary(b, s) for s in config["spaces"] for b in BOUNDARIES],
    output:
        LAYOUT.table("cosine"),
        [LAYOUT.figure(f"cosine_{s}") for s in config["spaces"]],
    params:
        view=view("cosine"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("analysis", "cosine"),
    benchmark:
        LAYOUT.benchmark("analysis", "cosine")
    shell:
        "interfacegan stage cosine --view {params.view:q} > {log} 2>&1"


rule correlation_table:
    input:
        LAYOUT.merged_scores,
    output:
        LAYOUT.table("correlation_synthesized"),
        LAYOUT.figure("correlation_synthesized"),
    params:
        view=view("correlation"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("analysis", "correlation"),
    benchmark:
        LAYOUT.benchmark("analysis", "correlation")
    shell:
        "interfacegan stage correlation --view {params.view:q} > {log} 2>&1"


rule rescoring_table:
    input:
        LAYOUT.merged_scores,
        [LAYOUT.boundary(b, s) for s in config["spaces"] for b in BOUNDARIES],
    output:
        LAYOUT.table("rescoring"),
        [LAYOUT.figure(f"rescoring_{s}") for s in config["spaces"]],
    params:
        view=view("rescoring"),
    threads: config["threads"]
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 120 * attempt,
        **IMAGE_JOB,
    log:
        LAYOUT.log("analysis", "rescoring"),
    benchmark:
        LAYOUT.benchmark("analysis", "rescoring")
    shell:
        "interfacegan stage rescoring --view {params.view:q} > {log} 2>&1"


rule linearity_table:
    input:
        [LAYOUT.boundary(a, s) for s in config["spaces"] for a in config["attributes"]],
    output:
        LAYOUT.table("linearity"),
        LAYOUT.figure("linearity"),
    params:
        view=view("linearity"),
    threads: config["threads"]
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
        **IMAGE_JOB,
    log:
        LAYOUT.log("analysis", "linearity"),
    benchmark:
        LAYOUT.benchmark("analysis", "linearity")
    shell:
        "interfacegan stage linearity --view {params.view:q} > {log} 2>&1"


rule real_scores:
    output:
        LAYOUT.real_scores,
    params:
        view=view("real"),
    threads: config["threads"]
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 120 * attempt,
        **IMAGE_JOB,
    log:
        LAYOUT.log("analysis", "real_scores"),
    benchmark:
        LAYOUT.benchmark("analysis", "real_scores")
    shell:
        "interfacegan stage real-scores --view {params.view:q} > {log} 2>&1"


rule correlation_real_table:
    input:
        LAYOUT.real_scores,
    output:
        LAYOUT.table("correlation_real"),
        LAYOUT.figure("correlation_real"),
    params:
        view=view("correlation"),
    resources:
        **PARTITION,
    log:
        LAYOUT.log("analysis", "correlation_real"),
    benchmark:
        LAYOUT.benchmark("analysis", "correlation_real")
    shell:
        "interfacegan stage correlation-real --view {params.view:q} > {log} 2>&1"
