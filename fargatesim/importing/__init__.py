"""A real service brought in: `fargatesim import aws DIR` and `fargatesim import terraform PLAN`.

Both read one ECS service and what scales and fronts it, and write a scenario that validates:
every value it took from the input, AWS's defaults where the input leaves a setting out, the
settings it left out listed at the top (those that would change results most first), and the
load (traffic, what a request costs), which no configuration holds, as marked placeholders.

    from fargatesim.importing import import_aws
    imported = import_aws("exports/")
    Path("service.yaml").write_text(imported.to_yaml())
"""
from importlib import import_module

# Imported on first use, so that the command line can describe `fargatesim import` (its --help,
# its arguments) without loading the scenario models.
_EXPORTS = {"Dropped": ".impact", "Imported": ".scenario_text", "import_aws": ".aws_cli",
            "import_terraform": ".terraform_service"}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module 'fargatesim.importing' has no attribute {name!r}")
