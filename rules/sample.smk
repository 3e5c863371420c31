# Jobs that run the generator or the predictor ask the cluster for a GPU when the config
# names a CUDA device (SLURM: --gpus=1); locally `gpu` limits nothing unless given to
# --resources. Memory and runtime grow with each retry (the SLURM profile retries).
GPU = int(config["device"].startswith("cuda"))


rule sample:
    output:
        LAYOUT.latents("{shard}"),
    params:
        view=view("sample"),
    threads: config["threads"]
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
        gpu=GPU,
    log:
        LAYOUT.log("sample", "{shard}"),
    benchmark:
        LAYOUT.benchmark("sample", "{shard}")
    shell:
        "interfacegan stage sample --view {params.view:q} --shard {wildcards.shard} > {log} 2>&1"


rule planted_truth:
    output:
        LAYOUT.planted_truth,
    params:
        view=view("truth"),
    log:
        LAYOUT.log("truth", "planted"),
    benchmark:
        LAYOUT.benchmark("truth", "planted")
    shell:
        "interfacegan stage truth --view {params.view:q} > {log} 2>&1"
