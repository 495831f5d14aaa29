"""The workflows whose flytekit packages flowmap-flyte is compared with (see ../make.sh).

Each has a Rust twin in flyte/tests/golden.rs, written the flowmap way.
"""

import functools
import typing
from dataclasses import dataclass
from datetime import datetime, timedelta

import flytekit as fl
from flytekit import Resources, map_task

THRESHOLD = 11


# The three workflows of Flyte's map-task page.
@fl.task
def detect_anomalies(data_point: int) -> bool:
    return data_point > THRESHOLD


@fl.workflow
def map_workflow(data: list[int] = [10, 12, 11, 10, 13, 12, 100, 11, 12, 10]) -> list[bool]:
    return map_task(detect_anomalies)(data_point=data)


@fl.workflow
def map_workflow_with_resource_overrides(
    data: list[int] = [10, 12, 11, 10, 13, 12, 100, 11, 12, 10],
) -> list[bool]:
    return map_task(detect_anomalies)(data_point=data).with_overrides(requests=Resources(mem="2Gi"))


@fl.workflow
def map_workflow_with_additional_params(
    data: list[int] = [10, 12, 11, 10, 13, 12, 100, 11, 12, 10],
) -> list[typing.Optional[bool]]:
    return map_task(detect_anomalies, concurrency=1, min_success_ratio=0.75)(data_point=data)


# A sub-workflow, and a map with a bound (partial) input.
@fl.task
def scale(x: float, factor: float) -> float:
    return x * factor


@fl.task
def total(xs: list[float]) -> float:
    return sum(xs)


@fl.workflow
def scaled_total(xs: list[float], factor: float = 2.0) -> float:
    scaled = map_task(functools.partial(scale, factor=factor))(x=xs)
    return total(xs=scaled)


@fl.workflow
def outer(xs: list[float]) -> float:
    return scaled_total(xs=xs, factor=3.0)


# Structs, a string-keyed map, optional outputs, durations and timestamps.
@dataclass
class Reading:
    sensor: str
    value: float
    at: datetime


@dataclass
class Summary:
    count: int
    mean: typing.Optional[float]
    by_sensor: dict[str, int]


@fl.task
def summarize(readings: list[Reading], window: timedelta) -> Summary:
    by_sensor: dict[str, int] = {}
    for r in readings:
        by_sensor[r.sensor] = by_sensor.get(r.sensor, 0) + 1
    mean = sum(r.value for r in readings) / len(readings) if readings else None
    return Summary(count=len(readings), mean=mean, by_sensor=by_sensor)


@fl.task
def first_large(values: list[int], above: int) -> typing.Optional[int]:
    return next((v for v in values if v > above), None)


@fl.workflow
def structs(readings: list[Reading], window: timedelta, values: list[int]) -> tuple[Summary, typing.Optional[int]]:
    return summarize(readings=readings, window=window), first_large(values=values, above=10)


# Ordering with no data between the calls; retries, timeout, cache; a GPU request.
@fl.task(retries=2, timeout=timedelta(seconds=30), cache=True, cache_version="1")
def write(path: str) -> None:
    pass


@fl.task(requests=Resources(cpu="2", mem="1Gi", gpu="1"), limits=Resources(mem="2Gi", gpu="1"))
def read(path: str) -> int:
    return len(path)


@fl.workflow
def ordered(path: str = "/tmp/x") -> int:
    w = write(path=path)
    r = read(path=path)
    w >> r
    return r


# A map of a task with retries, timeout and cache, with overrides on the map node.
@fl.task(retries=3, timeout=timedelta(minutes=5), cache=True, cache_version="2", requests=Resources(cpu="1"))
def fetch(url: str) -> str:
    return url


@fl.workflow
def fetch_all(urls: list[str]) -> list[typing.Optional[str]]:
    return map_task(fetch, concurrency=8, min_successes=2)(url=urls).with_overrides(
        retries=1,
        timeout=timedelta(seconds=90),
        requests=Resources(cpu="500m", mem="1Gi"),
        limits=Resources(mem="2Gi"),
        container_image="ghcr.io/me/fetch:v2",
        interruptible=True,
        name="fetch-each",
    )


@fl.workflow
def fetch_one(url: str = "https://example.com") -> str:
    return fetch(url=url).with_overrides(retries=5, interruptible=True)



# Conditionals (flowmap's `if` in a workflow body): each conditional is named as the Rust twin's
# `let` names its branch.
@fl.task
def double(x: int) -> int:
    return 2 * x


@fl.task
def negate(x: int) -> int:
    return -x


@fl.task
def is_even(x: int) -> bool:
    return x % 2 == 0


# `==` between two inputs, `<` against a literal, else a task.
@fl.workflow
def compared(x: int, y: int) -> int:
    picked = (
        fl.conditional("picked")
        .if_(x == y)
        .then(double(x=x))
        .elif_(x < 0)
        .then(negate(x=x))
        .else_()
        .then(double(x=y))
    )
    return picked


# `&` inside `|`, `&` over a `|`, and an else that fails.
@fl.workflow
def joined(x: int, y: int) -> int:
    j = (
        fl.conditional("j")
        .if_(((x > 5) & (y < 3)) | (x == 0))
        .then(double(x=x))
        .elif_((x >= 2) & ((y <= 1) | (x != y)))
        .then(negate(x=y))
        .else_()
        .fail("no case holds")
    )
    return j


# A bool from a task, alone (flytekit's is_true) and negated (is_false).
@fl.workflow
def flagged(x: int) -> int:
    even = is_even(x=x)
    f = (
        fl.conditional("f")
        .if_(even.is_true())
        .then(double(x=x))
        .elif_(even.is_false())
        .then(negate(x=x))
        .else_()
        .fail("neither")
    )
    return f


# A multi-statement arm: a sub-workflow, as flytekit needs one.
@fl.workflow
def staged_arm(x: int) -> int:
    d = double(x=x)
    return negate(x=d)


@fl.workflow
def staged(x: int) -> int:
    s = fl.conditional("s").if_(x > 0).then(staged_arm(x=x)).else_().then(negate(x=x))
    return s


# A branch's value feeds a later task.
@fl.workflow
def fed(x: int) -> int:
    v = fl.conditional("v").if_(x > 10).then(double(x=x)).else_().then(negate(x=x))
    return double(x=v)
