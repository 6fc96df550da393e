//! `#[derive(HookModel)]` errors and misuse of the generated descriptors:
//! each case in `tests/ui/` must fail to compile with the message in its
//! `.stderr` file, at the right span and without unrelated errors.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
