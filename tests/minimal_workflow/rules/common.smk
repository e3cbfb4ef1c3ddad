# The workflow's helpers. No rules here.


def wildcard_values(step):
    """The values of the wildcards the steps' outputs name, for seedlock's verify.smk: one
    greeting per language of the config."""
    return {"language": config["languages"]}
