"""Pydantic's validation errors restated for someone who has never seen pydantic.

One ScenarioError per failure, listing every problem pydantic found: where each is (a key
path such as ``traffic[1].spike.peak_rps``), what was expected and what was given.
"""

from pydantic import ValidationError

from .actions import ACTION_TYPES
from .errors import ScenarioError
from .faults import FAULT_TYPES
from .problems import located


def scenario_error(exc: ValidationError, file: str | None) -> ScenarioError:
    problems: list[tuple[str, str]] = []
    for where, message in located(exc):
        problem = (format_path(where), message)
        if problem not in problems:
            problems.append(problem)
    path, message = problems[0]
    return ScenarioError(message, file=file, path=path, problems=problems)


def format_path(loc: list) -> str:
    """('traffic', 1, 'spike', 'peak_rps') -> 'traffic[1].spike.peak_rps'."""
    parts = list(loc)
    # a fault's or action's type is a key inside the item, not a level above it as pydantic's union tag suggests
    if len(parts) > 2 and ((parts[0] == "faults" and parts[2] in FAULT_TYPES)
                           or (parts[0] == "actions" and parts[2] in ACTION_TYPES)):
        del parts[2]
    # `- steps: [...]` is held as StepsTraffic.steps; the YAML has one `steps` level, not two
    if len(parts) > 3 and parts[0] == "traffic" and parts[2:4] == ["steps", "steps"]:
        del parts[3]
    path = ""
    for part in parts:
        text = str(part)
        if len(text) > 64:  # an unknown key can be any text; the path stays one readable line
            text = text[:61] + "..."
        path += f"[{text}]" if isinstance(part, int) else (f".{text}" if path else text)
    return path


