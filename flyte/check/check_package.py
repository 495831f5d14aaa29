"""Checks a flowmap Flyte package with Flyte's own Python code (flyteidl and flytekit's models):
every file parses with no unknown field at any depth, loads through flytekit's models, and
every task and workflow it refers to (from then-nodes of branches too) is in the package, and
every branch node has what Propeller 1.16's compiler requires.

python check_package.py PACKAGE.tgz
"""

import sys
import tarfile

from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2
from flytekit.models import launch_plan as launch_plan_models
from flytekit.models import task as task_models
from flytekit.models.admin import workflow as workflow_models
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.unknown_fields import UnknownFieldSet

KINDS = {
    "1": (task_pb2.TaskSpec, task_models.TaskSpec),
    "2": (workflow_pb2.WorkflowSpec, workflow_models.WorkflowSpec),
    "3": (launch_plan_pb2.LaunchPlan, launch_plan_models.LaunchPlan),
}


def unknown_fields(msg, path="") -> list:
    """Paths of unknown fields anywhere in msg."""
    found = [f"{path or '<root>'}: field {f.field_number}" for f in UnknownFieldSet(msg)]
    for field, value in msg.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        name = f"{path}.{field.name}"
        if field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                for k, v in value.items():
                    found += unknown_fields(v, f"{name}[{k!r}]")
        elif field.is_repeated:
            for i, v in enumerate(value):
                found += unknown_fields(v, f"{name}[{i}]")
        else:
            found += unknown_fields(value, name)
    return found


def then_nodes(branch) -> list:
    """The then-nodes of a branch node's cases, and its else node."""
    if_else = branch.if_else
    nodes = [if_else.case.then_node, *(o.then_node for o in if_else.other)]
    if if_else.HasField("else_node"):
        nodes.append(if_else.else_node)
    return nodes


def operands(expr) -> list:
    """The operands of a BooleanExpression's comparisons."""
    if expr.HasField("conjunction"):
        return operands(expr.conjunction.left_expression) + operands(expr.conjunction.right_expression)
    return [expr.comparison.left_value, expr.comparison.right_value]


def check_branch(node, where: str) -> list:
    """What Propeller 1.16's compiler checks of a branch node (validators/branch.go, condition.go)
    and what it can evaluate: a first case, a then-node for every case, an else node or an error;
    every operand a primitive or one of the node's input variables (Propeller reads no `scalar`
    operand)."""
    problems = []
    if_else = node.branch_node.if_else
    if not if_else.HasField("case"):
        problems.append(f"{where}: branch node {node.id} has no first case")
    if if_else.WhichOneof("default") is None:
        problems.append(f"{where}: branch node {node.id} has neither an else node nor an error")
    variables = {b.var for b in node.inputs}
    for block in [if_else.case, *if_else.other]:
        if not block.HasField("then_node"):
            problems.append(f"{where}: a case of branch node {node.id} has no then-node")
        for op in operands(block.condition):
            kind = op.WhichOneof("val")
            if kind == "var" and op.var not in variables:
                problems.append(f"{where}: branch node {node.id} compares {op.var}, which it does not bind")
            elif kind != "var" and kind != "primitive":
                problems.append(f"{where}: branch node {node.id} has a {kind} operand, which Propeller 1.16 cannot read")
    return problems


def references(node, tasks: set, workflows: set, problems: list, where: str) -> None:
    if node.HasField("task_node"):
        tasks.add(node.task_node.reference_id.name)
    if node.HasField("workflow_node"):
        workflows.add(node.workflow_node.sub_workflow_ref.name)
    if node.HasField("array_node"):
        references(node.array_node.node, tasks, workflows, problems, where)
    if node.HasField("branch_node"):
        problems += check_branch(node, where)
        for then in then_nodes(node.branch_node):
            references(then, tasks, workflows, problems, where)


def main(path: str) -> None:
    problems = []
    tasks, workflows, launch_plans = {}, {}, {}
    with tarfile.open(path) as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        names = [m.name for m in members]
        if names != sorted(names):
            problems.append("files are not in name order")
        for m in members:
            kind = m.name.rsplit("_", 1)[-1].removesuffix(".pb")
            pb_type, model = KINDS[kind]
            msg = pb_type()
            msg.ParseFromString(tar.extractfile(m).read())
            problems += [f"{m.name}: unknown {u}" for u in unknown_fields(msg)]
            model.from_flyte_idl(msg)
            if kind == "1":
                tasks[msg.template.id.name] = msg
            elif kind == "2":
                workflows[msg.template.id.name] = msg
            else:
                launch_plans[msg.id.name] = msg
    for name, spec in workflows.items():
        subs = {s.id.name for s in spec.sub_workflows}
        for template in [spec.template, *spec.sub_workflows]:
            used_tasks, used_workflows = set(), set()
            for node in template.nodes:
                references(node, used_tasks, used_workflows, problems, f"workflow {template.id.name}")
            problems += [f"workflow {name}: task {t} is not in the package" for t in used_tasks - tasks.keys()]
            problems += [f"workflow {name}: sub-workflow {w} is not in its spec" for w in used_workflows - subs]
    for name, lp in launch_plans.items():
        if lp.spec.workflow_id.name not in workflows:
            problems.append(f"launch plan {name}: workflow {lp.spec.workflow_id.name} is not in the package")
    if problems:
        sys.exit("\n".join(problems))
    branches = sum(
        1
        for spec in workflows.values()
        for template in [spec.template, *spec.sub_workflows]
        for node in template.nodes
        if node.HasField("branch_node")
    )
    print(f"{path}: {len(tasks)} tasks, {len(workflows)} workflows ({branches} branch nodes), {len(launch_plans)} launch plans: all read by flyteidl and flytekit")


if __name__ == "__main__":
    for p in sys.argv[1:]:
        main(p)
