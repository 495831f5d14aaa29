//! Compile-fail and compile-pass cases: each `.stderr` snapshot was read before it was blessed.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
