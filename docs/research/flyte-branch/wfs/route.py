import typing
from flytekit import task, workflow, conditional

@task
def big(x: int) -> int: return x * 100
@task
def zero(x: int) -> int: return 0
@task
def small(x: int) -> int: return x
@task
def fast(x: int) -> int: return x + 1
@task
def slow(x: int) -> int: return x - 1

@workflow
def route(x: int, y: int, mode: str) -> int:
    base = conditional("base").if_((x > 5) & (y < 3)).then(big(x=x)).elif_(x == 0).then(zero(x=x)).else_().then(small(x=x))
    return conditional("mode").if_(mode == "fast").then(fast(x=base)).elif_(mode == "slow").then(slow(x=base)).else_().fail("unknown mode")
