"""Checks the futures.pb files a flowmap dynamic's pod wrote (by the Rust twins of
docs/research/flyte-dynamic, see flyte/src/tests/dynamic.rs) with Flyte's own Python code:
each parses as flyteidl's DynamicJobSpec with no unknown field at any depth, is read whole by
flytekit's model, and has what propeller 1.16's dynamic handler
needs: nodes, min_successes = their number, every task referred to (in array nodes and
sub-workflows too) in `tasks` with an equal id (project, domain, name, version), every
sub-workflow in `subworkflows`, unique node ids, and an output binding per output.

python check_futures.py DIR   (DIR holds CASE.pb files)
"""

import os
import sys

from flyteidl.core import dynamic_job_pb2
from flytekit.models.dynamic_job import DynamicJobSpec

from check_package import unknown_fields


def refs(node, tasks: list, workflows: list) -> None:
    if node.HasField("task_node"):
        tasks.append(node.task_node.reference_id)
    if node.HasField("workflow_node"):
        workflows.append(node.workflow_node.sub_workflow_ref)
    if node.HasField("array_node"):
        refs(node.array_node.node, tasks, workflows)


def check(path: str) -> list:
    problems = []
    spec = dynamic_job_pb2.DynamicJobSpec()
    spec.ParseFromString(open(path, "rb").read())
    problems += [f"unknown {u}" for u in unknown_fields(spec)]
    # flytekit's model is lossy (it drops an empty `overrides {}`, which flytekit itself writes),
    # so what is checked is that it reads every node, task and output.
    model = DynamicJobSpec.from_flyte_idl(spec)
    if [n.id for n in model.nodes] != [n.id for n in spec.nodes]:
        problems.append("flytekit's model reads other nodes")
    if [t.id.name for t in model.tasks] != [t.id.name for t in spec.tasks]:
        problems.append("flytekit's model reads other tasks")
    if [o.var for o in model.outputs] != [o.var for o in spec.outputs] or model.min_successes != spec.min_successes:
        problems.append("flytekit's model reads other outputs")
    if not spec.nodes:
        problems.append("no nodes (propeller: NoNodesFound)")
    if spec.min_successes != len(spec.nodes):
        problems.append(f"min_successes {spec.min_successes} for {len(spec.nodes)} nodes")
    ids = [n.id for n in spec.nodes]
    if len(set(ids)) != len(ids) or {"start-node", "end-node"} & set(ids):
        problems.append(f"node ids {ids}")
    task_ids = {t.id.SerializeToString(deterministic=True) for t in spec.tasks}
    sub_ids = {w.id.SerializeToString(deterministic=True) for w in spec.subworkflows}
    used_tasks, used_workflows = [], []
    for n in [*spec.nodes, *(n for w in spec.subworkflows for n in w.nodes)]:
        refs(n, used_tasks, used_workflows)
    for t in used_tasks:
        if t.SerializeToString(deterministic=True) not in task_ids:
            problems.append(f"task {t.name} (version {t.version!r}) is not in tasks with that id")
        if not (t.project and t.domain and t.version):
            problems.append(f"task {t.name}: id lacks project, domain or version")
    for w in used_workflows:
        if w.SerializeToString(deterministic=True) not in sub_ids:
            problems.append(f"sub-workflow {w.name} is not in subworkflows with that id")
    if not spec.outputs:
        problems.append("no output bindings")
    return problems


def main(directory: str) -> None:
    names = sorted(n for n in os.listdir(directory) if n.endswith(".pb"))
    if not names:
        sys.exit(f"{directory}: no futures.pb written")
    problems = [f"{name}: {p}" for name in names for p in check(os.path.join(directory, name))]
    if problems:
        sys.exit("\n".join(problems))
    print(f"{directory}: {len(names)} futures.pb ({', '.join(names)}): all read by flyteidl and flytekit")


if __name__ == "__main__":
    main(sys.argv[1])
