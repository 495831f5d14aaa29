import typing, datetime
from flytekit import task, workflow, conditional

@task
def five() -> int: return 5
@task
def flag() -> bool: return True
@task
def maybe() -> typing.Optional[int]: return None
@task
def sq(n: float) -> float: return n*n
@task
def dbl(n: float) -> float: return 2*n
@task
def inc(x: int) -> int: return x+1
@task
def pair(a: int) -> typing.NamedTuple("P", [("s", int), ("d", int)]): return a, a
@task
def pair2(a: int) -> typing.NamedTuple("P2", [("d", int), ("s", int), ("z", str)]): return a, a, ""
@task
def noout(a: int): pass
@task
def ts() -> datetime.datetime: return datetime.datetime.now()
@task
def dur() -> datetime.timedelta: return datetime.timedelta(seconds=1)

# conditions on node outputs, or-nesting, promise-vs-promise, duplicates
@workflow
def on_outputs(x: int, y: int) -> int:
    a = five()
    b = five()
    return conditional("c").if_(((a > x) & (b < 3)) | (a == b) | (x != y)).then(inc(x=a)).elif_((x >= 2) & ((y <= 1) | (a < 0))).then(inc(x=b)).else_().then(inc(x=x))

# literal kinds
@workflow
def literals(f: float, s: str, b: bool, t: datetime.datetime, d: datetime.timedelta) -> float:
    return conditional("lit").if_(f > 1.5).then(sq(n=f)).elif_(s == "a").then(sq(n=f)).elif_(b.is_true()).then(dbl(n=f)).elif_(b.is_false()).then(dbl(n=f)).elif_(t > datetime.datetime(2024,1,2,3,4,5)).then(dbl(n=f)).elif_(d < datetime.timedelta(seconds=90)).then(dbl(n=f)).elif_(f == 2).then(dbl(n=f)).else_().then(dbl(n=f))

# bool output & is_none
@workflow
def bools() -> int:
    r = flag()
    m = maybe()
    return conditional("bools").if_(r.is_true()).then(five()).elif_(m.is_none()).then(five()).else_().then(five())

# tuple outputs with intersection; downstream consumers
@workflow
def tuples(a: int) -> int:
    s, d = conditional("tup").if_(a > 0).then(pair(a=a)).else_().then(pair2(a=a))[0:2] if False else (None, None)
    return a

@workflow
def tuples2(a: int) -> typing.Tuple[int, int]:
    out = conditional("tup").if_(a > 0).then(pair(a=a)).else_().then(pair2(a=a))
    return out

@workflow
def downstream(a: int) -> int:
    v = conditional("pick").if_(a > 0).then(inc(x=a)).else_().then(five())
    w = inc(x=v)
    return w

@workflow
def void(a: int):
    v = conditional("v").if_(a > 0).then(noout(a=a)).else_().then(noout(a=a))
    n = five()
    v >> n

@workflow
def sub(a: int) -> int:
    b = inc(x=a)
    return inc(x=b)

@workflow
def with_sub(a: int) -> int:
    return conditional("s").if_(a > 0).then(sub(a=a)).else_().then(inc(x=a))

@workflow
def nested(a: int, b: int) -> int:
    return conditional("outer").if_(a > 0).then(
        conditional("inner").if_(b > 0).then(inc(x=a)).else_().then(sub(a=b))
    ).else_().fail("neg")

@workflow
def named(a: int) -> int:
    return conditional("nm").if_(a > 0).then(inc(x=a).with_overrides(node_name="my-node", retries=2)).else_().then(inc(x=a))
