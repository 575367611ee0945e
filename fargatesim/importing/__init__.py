"""A real service brought in: `fargatesim import aws DIR` and `fargatesim import terraform PLAN`.

Both read one ECS service and what scales and fronts it, and write a scenario that validates:
every value it took from the input, AWS's defaults where the input leaves a setting out, the
settings it left out listed at the top (those that would change results most first), and the
load (traffic, what a request costs), which no configuration holds, as marked placeholders.

    from fargatesim.importing import import_aws
    imported = import_aws("exports/")
    Path("service.yaml").write_text(imported.to_yaml())
"""
from .aws_cli import import_aws
from .impact import Dropped
from .scenario_text import Imported
from .terraform_service import import_terraform

__all__ = ["Dropped", "Imported", "import_aws", "import_terraform"]
