from flytekit import task, workflow, conditional
from wfs.cases import five, inc
@workflow
def chained(a: int) -> int:
    return conditional("ch").if_(5 < a).then(inc(x=five())).elif_((0 == a) & (a > -1) & (a < 9)).then(inc(x=a)).else_().then(inc(x=a))
@workflow
def pre(a: int) -> int:
    p = inc(x=a)
    return conditional("pre").if_(a > 0).then(p).else_().then(inc(x=a))
@workflow
def after(a: int) -> int:
    v = conditional("c1").if_(a > 0).then(inc(x=a)).else_().then(five())
    return conditional("c2").if_(v > 3).then(inc(x=v)).else_().then(inc(x=a))
