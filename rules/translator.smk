# Feed-forward editing: the identity translator, one fine-tuned per boundary, then measured against the latent edits.


rule train_identity_translator:
    input:
        pipeline.inputs(config, LAYOUT, "train_identity_translator", {}),
    output:
        pipeline.outputs(config, LAYOUT, "train_identity_translator"),
    log:
        LAYOUT.log("translator", "identity"),
    benchmark:
        LAYOUT.benchmark("translator", "identity")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 240 * attempt,
    params:
        view=pipeline.view_json(config, "train_identity_translator"),
    shell:
        pipeline.command("train_identity_translator")


rule train_translator:
    input:
        lambda w: pipeline.inputs(config, LAYOUT, "train_translator", w),
    output:
        pipeline.outputs(config, LAYOUT, "train_translator"),
    log:
        LAYOUT.log("translator", "{translator_boundary}"),
    benchmark:
        LAYOUT.benchmark("translator", "{translator_boundary}")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 240 * attempt,
    params:
        view=pipeline.view_json(config, "train_translator"),
    shell:
        pipeline.command("train_translator")


rule translation_table:
    input:
        pipeline.inputs(config, LAYOUT, "translation_table", {}),
    output:
        pipeline.outputs(config, LAYOUT, "translation_table", report),
    log:
        LAYOUT.log("translator", "table"),
    benchmark:
        LAYOUT.benchmark("translator", "table")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
        mem_mb=lambda wc, attempt: 4000 * attempt,
    params:
        view=pipeline.view_json(config, "translation_table"),
    shell:
        pipeline.command("translation_table")
