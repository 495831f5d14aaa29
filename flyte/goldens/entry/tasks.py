"""Tasks that only the entrypoint goldens run (execute.py); not packaged."""

import flytekit as fl


@fl.task
def fail_on_odd(x: int) -> int:
    if x % 2 == 1:
        raise ValueError(f"{x} is odd")
    return x
