# One rule per stage of the table (workflow/interfacegan/pipeline.py) that the config has, named
# as the stage: its files, log, threads, cluster resources and wildcards all come from there.


for stage in pipeline.active(config):

    rule:
        name:
            stage.name
        input:
            pipeline.rule_inputs(config, LAYOUT, stage.name),
        output:
            pipeline.outputs(config, LAYOUT, stage.name, report),
        log:
            LAYOUT.log(stage.name, pipeline.job_key(stage.name)),
        benchmark:
            LAYOUT.benchmark(stage.name, pipeline.job_key(stage.name))
        wildcard_constraints:
            **pipeline.wildcard_patterns(config, stage.name),
        conda:
            "../envs/interfacegan.yaml"
        threads: pipeline.threads(config, stage.name)
        resources:
            **pipeline.resources(config, stage.name),
        params:
            view=pipeline.view_json(config, stage.name),
            stage=stage.name,
            flags=pipeline.wildcard_flags(stage.name),
        shell:
            pipeline.COMMAND
