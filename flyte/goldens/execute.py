"""Inputs and outputs of task containers made by flytekit, for flowmap-flyte's tests of its own
entrypoint (see make.sh): execute/NAME/inputs.pb, and what pyflyte-execute or
pyflyte-map-execute wrote for them (outputs.pb or error.pb), per element index for maps.
"""

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from flytekit.core.context_manager import FlyteContextManager
from flytekit.core.type_engine import TypeEngine
from flytekit.models.literals import LiteralMap

from golden.workflows import Reading

CTX = FlyteContextManager.current_context()
AT = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)


def literals(values: dict) -> LiteralMap:
    return LiteralMap(
        literals={k: TypeEngine.to_literal(CTX, v, t, TypeEngine.to_literal_type(t)) for k, (v, t) in values.items()}
    )


def run(out: str, name: str, task: str, inputs: LiteralMap, map_indexes=None, module="golden.workflows") -> None:
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "inputs.pb"), "wb") as f:
        f.write(inputs.to_flyte_idl().SerializeToString())
    common = ["--inputs", os.path.join(d, "inputs.pb"), "--raw-output-data-prefix", os.path.join(d, "raw"),
              "--checkpoint-path", os.path.join(d, "ck"), "--prev-checkpoint", '""']
    task_args = ["task-module", module, "task-name", task]
    bin_dir = os.path.dirname(sys.executable)
    for index in map_indexes or [None]:
        prefix = os.path.join(d, "out" if index is None else f"out{index}")
        if index is None:
            cmd = [os.path.join(bin_dir, "pyflyte-execute"), *common, "--output-prefix", prefix,
                   "--resolver", "flytekit.core.python_auto_container.default_task_resolver", "--", *task_args]
        else:
            cmd = [os.path.join(bin_dir, "pyflyte-map-execute"), *common, "--output-prefix", prefix,
                   "--resolver", "flytekit.core.array_node_map_task.ArrayNodeMapTaskResolver", "--",
                   "vars", "", "resolver", "flytekit.core.python_auto_container.default_task_resolver", *task_args]
        env = dict(os.environ, BATCH_JOB_ARRAY_INDEX_VAR_NAME="IDX", IDX=str(index or 0))
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Only the documents are kept.
    for root, _, files in os.walk(d):
        for f in files:
            if f not in ("inputs.pb", "outputs.pb", "error.pb"):
                os.remove(os.path.join(root, f))


def main(out: str) -> None:
    run(out, "map_detect", "detect_anomalies", literals({"data_point": ([10, 12, 11, 100], list[int])}), [0, 3])
    readings = [Reading(sensor="s1", value=1.5, at=AT), Reading(sensor="s2", value=2.5, at=AT)]
    run(out, "summarize", "summarize", literals({"readings": (readings, list[Reading]), "window": (timedelta(seconds=30), timedelta)}))
    run(out, "fail_on_odd", "fail_on_odd", literals({"x": (3, int)}), module="entry.tasks")


if __name__ == "__main__":
    main(sys.argv[1])
