# Real faces: photos aligned like the generator's faces, inverted per shard, then measured and edited.


rule align_real:
    input:
        pipeline.inputs(config, LAYOUT, "align_real", {}),
    output:
        pipeline.outputs(config, LAYOUT, "align_real"),
    log:
        LAYOUT.log("real", "align"),
    benchmark:
        LAYOUT.benchmark("real", "align")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
    params:
        view=pipeline.view_json(config, "align_real"),
    shell:
        pipeline.command("align_real")


rule invert_real:
    input:
        lambda w: pipeline.inputs(config, LAYOUT, "invert_real", w),
    output:
        pipeline.outputs(config, LAYOUT, "invert_real"),
    log:
        LAYOUT.log("real", "invert_{photo_shard}"),
    benchmark:
        LAYOUT.benchmark("real", "invert_{photo_shard}")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 120 * attempt,
    params:
        view=pipeline.view_json(config, "invert_real"),
    shell:
        pipeline.command("invert_real")


rule real_reconstruction_table:
    input:
        pipeline.inputs(config, LAYOUT, "real_reconstruction_table", {}),
    output:
        pipeline.outputs(config, LAYOUT, "real_reconstruction_table", report),
    log:
        LAYOUT.log("real", "reconstruction"),
    benchmark:
        LAYOUT.benchmark("real", "reconstruction")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
    params:
        view=pipeline.view_json(config, "real_reconstruction_table"),
    shell:
        pipeline.command("real_reconstruction_table")


rule real_edits:
    input:
        pipeline.inputs(config, LAYOUT, "real_edits", {}),
    output:
        pipeline.outputs(config, LAYOUT, "real_edits", report),
    log:
        LAYOUT.log("real", "edits"),
    benchmark:
        LAYOUT.benchmark("real", "edits")
    conda:
        "../envs/interfacegan.yaml"
    threads: config["threads"]
    resources:
        **IMAGE_JOB,
        mem_mb=lambda wc, attempt: 4000 * attempt,
    params:
        view=pipeline.view_json(config, "real_edits"),
    shell:
        pipeline.command("real_edits")
