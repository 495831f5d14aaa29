"""Regenerates the dumps in this directory (see ../flyte-dynamic.md).

Needs flytekit==1.16.31 and flyteidl==1.16.8 in the running interpreter (make.sh makes such a venv):
  python make.py          # run from anywhere; writes next to this file

1. `pyflyte --pkgs dyn package` -> package/*.textproto (the registration-time templates).
2. For each case: writes exec/CASE/inputs.pb, runs `pyflyte-execute` on it the way a task pod does
   (the dynamic task's container args, its template env `_F_SS_C`, and the FLYTE_INTERNAL_* env vars
   that propeller 1.16.8 sets in flyteplugins' GetExecutionEnvVars), then dumps whatever it wrote
   (futures.pb / outputs.pb / error.pb) as exec/CASE/*.textproto, plus exec/CASE/summary.txt.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

from google.protobuf import text_format
from google.protobuf.json_format import MessageToDict

from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import dynamic_job_pb2, errors_pb2, literals_pb2

sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)
IMAGE = "ghcr.io/me/flows:v1"
sys.path.insert(0, HERE)

from flytekit.core.context_manager import FlyteContextManager  # noqa: E402
from flytekit.core.type_engine import TypeEngine  # noqa: E402
from flytekit.models.literals import LiteralMap  # noqa: E402
from typing import List  # noqa: E402

CTX = FlyteContextManager.current_context()


def literals(values: dict) -> LiteralMap:
    return LiteralMap(
        literals={k: TypeEngine.to_literal(CTX, v, t, TypeEngine.to_literal_type(t)) for k, (v, t) in values.items()}
    )


def tp(msg) -> str:
    return text_format.MessageToString(msg)


def package(out: str) -> dict:
    """Packages dyn/ and dumps every entity; returns {task name: TaskTemplate} for the dynamic tasks."""
    tmp = tempfile.mkdtemp()
    try:
        subprocess.run([os.path.join(BIN, "pyflyte"), "--pkgs", "dyn", "package", "--image", IMAGE,
                        "--output", os.path.join(tmp, "pkg.tgz"), "--force"], cwd=HERE, check=True,
                       stdout=subprocess.DEVNULL)
        with tarfile.open(os.path.join(tmp, "pkg.tgz")) as t:
            t.extractall(os.path.join(tmp, "pkg"))
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        templates = {}
        for f in sorted(glob.glob(os.path.join(tmp, "pkg", "*.pb"))):
            base = os.path.basename(f)[:-3]
            data = open(f, "rb").read()
            # pyflyte package names files <n>_<name>_<1 task | 2 workflow | 3 launch plan>.pb
            kind = {"1": task_pb2.TaskSpec, "2": workflow_pb2.WorkflowSpec, "3": launch_plan_pb2.LaunchPlan}[base[-1]]
            m = kind()
            m.ParseFromString(data)
            with open(os.path.join(out, base + ".textproto"), "w") as g:
                g.write(tp(m))
            if kind is task_pb2.TaskSpec:
                templates[m.template.id.name] = m.template
        return templates
    finally:
        shutil.rmtree(tmp)


def summarize(spec: dynamic_job_pb2.DynamicJobSpec) -> str:
    d = MessageToDict(spec, preserving_proto_field_name=True)
    lines = [f"min_successes={d.get('min_successes', 0)}  tasks={[t['id']['name'] for t in d.get('tasks', [])]}"
             f"  subworkflows={[w['id']['name'] for w in d.get('subworkflows', [])]}"]

    def walk(nodes, ind=""):
        for n in nodes:
            md = n.get("metadata", {})
            if "task_node" in n:
                kind = "task " + json.dumps(n["task_node"]["reference_id"])
            elif "workflow_node" in n:
                kind = "workflow " + json.dumps(n["workflow_node"])
            elif "array_node" in n:
                an = n["array_node"]
                kind = "array " + json.dumps({k: v for k, v in an.items() if k != "node"})
            else:
                kind = "?"
            lines.append(f"{ind}node id={n['id']!r} metadata={json.dumps(md)} upstream={n.get('upstream_node_ids', [])}")
            lines.append(f"{ind}  {kind}")
            for b in n.get("inputs", []):
                lines.append(f"{ind}  in {b['var']} <- {json.dumps(b['binding'])}")
            if "array_node" in n:
                walk([n["array_node"]["node"]], ind + "    ")

    walk(d.get("nodes", []))
    for b in d.get("outputs", []):
        lines.append(f"out {b['var']} <- {json.dumps(b['binding'])}")
    for w in d.get("subworkflows", []):
        lines.append(f"subworkflow {w['id']} nodes={[n['id'] for n in w.get('nodes', [])]}")
    return "\n".join(lines) + "\n"


def run(out: str, case: str, task: str, inputs: LiteralMap, template, env_extra=None, pod_env=True) -> None:
    d = os.path.join(out, case)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    inputs_pb = os.path.join(d, "inputs.pb")
    with open(inputs_pb, "wb") as f:
        f.write(inputs.to_flyte_idl().SerializeToString())
    prefix = tempfile.mkdtemp()
    # The container args of the registered template, with the templated paths filled in.
    fill = {"{{.input}}": inputs_pb, "{{.outputPrefix}}": prefix, "{{.rawOutputDataPrefix}}": os.path.join(prefix, "raw"),
            "{{.checkpointOutputPrefix}}": os.path.join(prefix, "ck"), "{{.prevCheckpointPrefix}}": '""'}
    args = [fill.get(a, a) for a in template.container.args]
    args[0] = os.path.join(BIN, args[0])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLYTE_INTERNAL", "_F_"))}
    if pod_env:
        env.update(dict(template.container.env and {e.key: e.value for e in template.container.env}))
        env.update({
            "FLYTE_INTERNAL_EXECUTION_ID": "a1b2c3",
            "FLYTE_INTERNAL_EXECUTION_PROJECT": "flowproj",
            "FLYTE_INTERNAL_EXECUTION_DOMAIN": "development",
            "FLYTE_ATTEMPT_NUMBER": "0",
            "FLYTE_INTERNAL_TASK_PROJECT": "taskproj",
            "FLYTE_INTERNAL_TASK_DOMAIN": "taskdomain",
            "FLYTE_INTERNAL_TASK_NAME": template.id.name,
            "FLYTE_INTERNAL_TASK_VERSION": "v42",
        })
    env.update(env_extra or {})
    r = subprocess.run(args, cwd=HERE, env=env, capture_output=True, text=True)
    shown_args = [a.replace(prefix, "<prefix>").replace(HERE + "/", "").replace(BIN, "<venv>/bin") for a in args]
    with open(os.path.join(d, "cmd.txt"), "w") as f:
        f.write(f"exit={r.returncode}\nenv FLYTE_INTERNAL_*/_F_*: "
                f"{json.dumps({k: v for k, v in env.items() if k.startswith(('FLYTE_INTERNAL', '_F_', 'FLYTE_ATTEMPT'))}, indent=1)}\n"
                f"args: {json.dumps(shown_args, indent=1)}\n")
    wrote = sorted(os.listdir(prefix))
    with open(os.path.join(d, "cmd.txt"), "a") as f:
        f.write(f"output prefix contents: {wrote}\n")
    with open(os.path.join(d, "inputs.textproto"), "w") as f:
        f.write(tp(inputs.to_flyte_idl()))
    for name, kind in (("futures.pb", dynamic_job_pb2.DynamicJobSpec), ("outputs.pb", literals_pb2.LiteralMap),
                       ("error.pb", errors_pb2.ErrorDocument)):
        p = os.path.join(prefix, name)
        if os.path.exists(p):
            m = kind()
            m.ParseFromString(open(p, "rb").read())
            shutil.copy(p, os.path.join(d, name))
            with open(os.path.join(d, name[:-3] + ".textproto"), "w") as f:
                f.write(tp(m))
            if kind is dynamic_job_pb2.DynamicJobSpec:
                with open(os.path.join(d, "summary.txt"), "w") as f:
                    f.write(summarize(m))
    shutil.rmtree(prefix)
    print(case, "->", wrote, "exit", r.returncode)


def main() -> None:
    templates = package(os.path.join(HERE, "package"))
    out = os.path.join(HERE, "exec")
    shutil.rmtree(out, ignore_errors=True)
    t = lambda n: templates["dyn.workflows." + n]  # noqa: E731
    L = List[str]
    run(out, "per_region_0", "per_region", literals({"regions": ([], L), "day": ("mon", str)}), t("per_region"))
    run(out, "per_region_1", "per_region", literals({"regions": (["eu"], L), "day": ("mon", str)}), t("per_region"))
    run(out, "per_region_3", "per_region", literals({"regions": (["eu", "us", "ap"], L), "day": ("mon", str)}), t("per_region"))
    run(out, "chain_3", "chain", literals({"seed": ("s", str), "n": (3, int)}), t("chain"))
    run(out, "chain_0", "chain", literals({"seed": ("s", str), "n": (0, int)}), t("chain"))
    run(out, "per_region_wf_2", "per_region_wf", literals({"regions": (["eu", "us"], L), "day": ("mon", str)}), t("per_region_wf"))
    run(out, "per_region_map_3", "per_region_map", literals({"regions": (["eu", "us", "ap"], L), "day": ("mon", str)}), t("per_region_map"))
    run(out, "pair_2", "pair", literals({"regions": (["eu", "us"], L), "day": ("mon", str)}), t("pair"))
    run(out, "pair_0", "pair", literals({"regions": ([], L), "day": ("mon", str)}), t("pair"))
    run(out, "pair_nodes_2", "pair_nodes", literals({"regions": (["eu", "us"], L), "day": ("mon", str)}), t("pair_nodes"))
    run(out, "passthrough", "passthrough", literals({"day": ("mon", str)}), t("passthrough"))
    run(out, "overrides_2", "overrides", literals({"regions": (["eu", "us"], L), "day": ("mon", str)}), t("overrides"))
    run(out, "nested_2", "nested", literals({"regions": (["eu", "us"], L), "day": ("mon", str)}), t("nested"))
    # Without the pod env (no _F_SS_C, no FLYTE_INTERNAL_*): what flytekit does when it cannot know ids/image.
    run(out, "per_region_1_no_env", "per_region", literals({"regions": (["eu"], L), "day": ("mon", str)}), t("per_region"),
        pod_env=False, env_extra={"FLYTE_INTERNAL_IMAGE": "ghcr.io/me/fallback:v9"})
    # Only the template env (_F_SS_C), no FLYTE_INTERNAL_* vars: ids get no project/domain/version.
    ss = {e.key: e.value for e in t("per_region").container.env}
    run(out, "per_region_1_ss_only", "per_region", literals({"regions": (["eu"], L), "day": ("mon", str)}), t("per_region"),
        pod_env=False, env_extra=ss)


if __name__ == "__main__":
    main()
