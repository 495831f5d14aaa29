//! A [`Registry`] keeps what it holds when a workflow cannot be added.

use flowmap::prelude::*;

use crate::{PackageError, Registry};

#[task]
fn double(x: i64) -> i64 {
    x * 2
}

#[workflow]
fn doubled(x: i64) -> i64 {
    double(x)
}

struct Boom;

impl Boom {
    fn value() -> i64 {
        panic!("no value for this constant")
    }
}

#[workflow]
fn broken() -> i64 {
    double(Boom::value())
}

#[test]
fn a_workflow_that_does_not_build_loses_none_registered_before_it() {
    let failed = Registry::new().workflow(&doubled).and_then(|r| r.workflow(&broken)).unwrap_err();
    assert!(matches!(failed.error(), PackageError::Build(_)), "{failed:?}");
    assert_eq!(failed.to_string(), "workflow could not be built");
    let registry = failed.into_registry();
    assert_eq!(format!("{registry:?}"), r#"["doubled"]"#);
    let task = crate::compile::flyte_name(&doubled.graph().unwrap().tasks.keys().next().unwrap().clone());
    assert!(registry.find(&task).is_some(), "the task of `doubled` is not found again");
    assert!(registry.package("img").is_ok());
    // And it may go on: a later workflow is added to the same registry.
    let registry = registry.workflow(&doubled).unwrap();
    assert_eq!(format!("{registry:?}"), r#"["doubled", "doubled"]"#);
}

/// What an owner of a registry in a field (the CLI's `App`) does: add, and keep it either way.
#[test]
fn a_registry_in_a_field_keeps_its_workflows_through_a_failure() {
    struct Owner {
        flyte: Registry,
    }
    let mut owner = Owner { flyte: Registry::new() };
    for add in [doubled_adder as fn(Registry) -> _, broken_adder, doubled_adder] {
        // As the CLI writes it, under its `flyte` feature: a block, since an attribute may not
        // stand on an assignment.
        #[cfg(test)]
        {
            owner.flyte = add(std::mem::take(&mut owner.flyte)).unwrap_or_else(crate::RegistryError::into_registry);
        }
    }
    assert_eq!(format!("{:?}", owner.flyte), r#"["doubled", "doubled"]"#);
}

fn doubled_adder(r: Registry) -> Result<Registry, crate::RegistryError> {
    r.workflow(&doubled)
}

fn broken_adder(r: Registry) -> Result<Registry, crate::RegistryError> {
    r.workflow(&broken)
}

#[test]
fn a_registry_error_converts_to_a_package_error() {
    fn add() -> Result<Registry, PackageError> {
        Ok(Registry::new().workflow(&broken)?)
    }
    assert!(matches!(add(), Err(PackageError::Build(_))));
}
