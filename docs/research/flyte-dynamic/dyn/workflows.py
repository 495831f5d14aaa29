"""Python twins of flowmap #[dynamic] cases (flytekit 1.16.31). See ../make.py."""

import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import List, Tuple


import flytekit
from flytekit import dynamic, map_task, task, workflow


@dataclass
class Report:
    region: str
    day: str
    rows: int


# Metadata on the inner task, to see what lands in node metadata vs the task template.
@task(retries=2, timeout=timedelta(minutes=5), interruptible=True, cache=True, cache_version="1")
def report(region: str, day: str) -> Report:
    return Report(region=region, day=day, rows=len(region))


@task
def step(x: str) -> str:
    return x + "!"


@task
def count(reports: List[Report]) -> int:
    return len(reports)


@workflow
def region_wf(region: str, day: str) -> Report:
    return report(region=region, day=day)


# 1. The canonical case; run with 0, 1 and 3 regions.
@dynamic
def per_region(regions: List[str], day: str) -> List[Report]:
    out = []
    for r in regions:
        out.append(report(region=r, day=day))
    return out


# 2. n calls chained: each output feeds the next call.
@dynamic(retries=1)
def chain(seed: str, n: int) -> str:
    x = seed
    for _ in range(n):
        x = step(x=x)
    return x


# 3. Sub-workflow calls.
@dynamic
def per_region_wf(regions: List[str], day: str) -> List[Report]:
    return [region_wf(region=r, day=day) for r in regions]


# 4. map_task (ArrayNode; flytekit 1.16.31 has no `flytekit.map`) with a bound (partial) real input.
@dynamic
def per_region_map(regions: List[str], day: str) -> List[Report]:
    return map_task(functools.partial(report, day=day))(region=regions)


# 5. Two outputs: one from inner nodes, one a plain value computed in the body.
@dynamic
def pair(regions: List[str], day: str) -> Tuple[List[Report], int]:
    reports = [report(region=r, day=day) for r in regions]
    return reports, len(regions)


# 6. Two outputs, both from nodes (count consumes a list built from several nodes).
@dynamic
def pair_nodes(regions: List[str], day: str) -> Tuple[List[Report], int]:
    reports = [report(region=r, day=day) for r in regions]
    return reports, count(reports=reports)


# 7. Passthrough: an output that is just an input, no nodes at all.
@dynamic
def passthrough(day: str) -> str:
    return day


# 8. Per-call overrides: node name, retries, timeout, interruptible, resources.
@dynamic
def overrides(regions: List[str], day: str) -> List[Report]:
    return [
        report(region=r, day=day).with_overrides(
            node_name=f"report-{r}", retries=5, timeout=timedelta(minutes=1), interruptible=False,
            requests=flytekit.Resources(cpu="1", mem="1Gi"))
        for r in regions
    ]


# 9. A dynamic calling another dynamic (and a plain task on its output).
@dynamic
def nested(regions: List[str], day: str) -> int:
    return count(reports=per_region(regions=regions, day=day))


@workflow
def main(regions: List[str], day: str, seed: str, n: int) -> Tuple[List[Report], str, List[Report], List[Report], List[Report], int, List[Report], int, str, List[Report], int]:
    a = per_region(regions=regions, day=day)
    b = chain(seed=seed, n=n)
    c = per_region_wf(regions=regions, day=day)
    d = per_region_map(regions=regions, day=day)
    e, f = pair(regions=regions, day=day)
    g, h = pair_nodes(regions=regions, day=day)
    i = passthrough(day=day)
    j = overrides(regions=regions, day=day)
    k = nested(regions=regions, day=day)
    return a, b, c, d, e, f, g, h, i, j, k
