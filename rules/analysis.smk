# Tables of the paper: cosines between boundaries, score correlations, re-scoring, linearity.


rule cosine_table:
    input:
        pipeline.inputs(config, LAYOUT, "cosine_table", {}),
    output:
        pipeline.outputs(config, LAYOUT, "cosine_table", report),
    log:
        LAYOUT.log("analysis", "cosine"),
    benchmark:
        LAYOUT.benchmark("analysis", "cosine")
    conda:
        "../envs/interfacegan.yaml"
    resources:
        **PARTITION,
    params:
        view=pipeline.view_json(config, "cosine_table"),
    shell:
        pipeline.command("cosine_table")


rule correlation_table:
    input:
        pipeline.inputs(config, LAYOUT, "correlation_table", {}),
    output:
        pipeline.outputs(config, LAYOUT, "correlation_table", report),
    log:
        LAYOUT.log("analysis", "correlation"),
    benchmark:
        LAYOUT.benchmark("analysis", "correlation")
    conda:
        "../envs/interfacegan.yaml"
    resources:
        **PARTITION,
    params:
        view=pipeline.view_json(config, "correlation_table"),
    shell:
        pipeline.command("correlation_table")


rule rescoring_table:
    input:
        pipeline.inputs(config, LAYOUT, "rescoring_table", {}),
    output:
        pipeline.outputs(config, LAYOUT, "rescoring_table", report),
    log:
        LAYOUT.log("analysis", "rescoring"),
    benchmark:
        LAYOUT.benchmark("analysis", "rescoring")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 120 * attempt,
    params:
        view=pipeline.view_json(config, "rescoring_table"),
    shell:
        pipeline.command("rescoring_table")


rule linearity_table:
    input:
        pipeline.inputs(config, LAYOUT, "linearity_table", {}),
    output:
        pipeline.outputs(config, LAYOUT, "linearity_table", report),
    log:
        LAYOUT.log("analysis", "linearity"),
    benchmark:
        LAYOUT.benchmark("analysis", "linearity")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
    params:
        view=pipeline.view_json(config, "linearity_table"),
    shell:
        pipeline.command("linearity_table")


rule real_scores:
    input:
        pipeline.inputs(config, LAYOUT, "real_scores", {}),
    output:
        pipeline.outputs(config, LAYOUT, "real_scores"),
    log:
        LAYOUT.log("analysis", "real_scores"),
    benchmark:
        LAYOUT.benchmark("analysis", "real_scores")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 120 * attempt,
    params:
        view=pipeline.view_json(config, "real_scores"),
    shell:
        pipeline.command("real_scores")


rule correlation_real_table:
    input:
        pipeline.inputs(config, LAYOUT, "correlation_real_table", {}),
    output:
        pipeline.outputs(config, LAYOUT, "correlation_real_table", report),
    log:
        LAYOUT.log("analysis", "correlation_real"),
    benchmark:
        LAYOUT.benchmark("analysis", "correlation_real")
    conda:
        "../envs/interfacegan.yaml"
    resources:
        **PARTITION,
    params:
        view=pipeline.view_json(config, "correlation_real_table"),
    shell:
        pipeline.command("correlation_real_table")
