use flowmap::prelude::*;

#[task]
fn double(x: i64) -> i64 {
    x * 2
}

#[task]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[workflow]
fn branches(x: i64) -> i64 {
    let y = if x > 3 { double(x) }; y
}

#[workflow]
fn loops(xs: Vec<i64>) {
    for x in xs {
        double(x);
    }
}

#[workflow]
fn while_loop(x: i64) {
    while x > 0 {
        double(1);
    }
}

#[workflow]
fn arithmetic(x: i64) -> i64 {
    let y = double(x);
    y + 1
}

#[workflow]
fn method_on_promise(xs: Vec<i64>) -> i64 {
    double(xs.len())
}

#[workflow]
fn closure(x: i64) -> i64 {
    let f = || x;
    double(1)
}

#[workflow]
fn awaits(x: i64) -> i64 {
    double(x).await
}

#[workflow]
async fn async_workflow(x: i64) -> i64 {
    double(x)
}

#[workflow]
fn repeated(x: i64) -> i64 {
    double(x = x, x = x)
}

#[workflow]
fn positional_after_named(x: i64) -> i64 {
    add(a = x, x)
}

#[workflow]
fn annotated(x: i64) -> i64 {
    let y: i64 = double(x);
    y
}

#[workflow]
fn prints(x: i64) -> i64 {
    println!("{}", 1);
    double(x)
}

#[workflow(retries = 3)]
fn workflow_options(x: i64) -> i64 {
    double(x)
}

#[workflow]
fn after_a_constant(x: i64) -> i64 {
    double(x).after(3)
}

#[workflow]
fn after_nothing(x: i64) -> i64 {
    double(x).after()
}

#[workflow]
fn after_an_input(x: i64) -> i64 {
    double(x).after(x)
}

#[workflow]
fn after_an_unknown_name(x: i64) -> i64 {
    double(x).after(written)
}

#[workflow]
fn after_on_a_promise(x: i64) -> i64 {
    let y = double(x);
    x.after(y)
}

/// Uses of a workflow whose body has an error: nothing more is reported for them.
#[workflow]
fn uses_a_broken_workflow(x: i64) -> Vec<i64> {
    let y = annotated(x);
    let z = map!(annotated)(x = vec![1, 2]);
    map!(add, partial(b = y))(a = z)
}

#[workflow]
fn if_around_calls(x: i64) -> i64 {
    if true { double(x) } else { double(1) }
}

#[task]
fn describe(label: String) -> String {
    label
}

#[workflow]
fn formats_a_promise(x: i64) -> String {
    describe(format!("{x}"))
}

#[workflow]
fn formats_a_promise_by_position(x: i64) -> String {
    let label = format!("value: {:?}", x);
    describe(label)
}

#[workflow]
fn a_macro_on_promises(a: i64, b: i64) -> i64 {
    let y = double(a);
    let ys = vec![y, b];
    double(1)
}

#[workflow(outputs(doubled, tripled))]
fn more_names_than_outputs(x: i64) -> i64 {
    double(x)
}

fn main() {
    let _ = annotated(1);
    let _ = annotated.graph();
    let _ = flowmap::Runtime::global().map(|rt| rt.run(&annotated, (1,)).wait());
}
