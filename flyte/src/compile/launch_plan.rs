//! One launch plan per workflow, with its `#[default(...)]` inputs as default parameters.

use flowmap_model::graph::Graph;

use super::{flyte_name, identifier};
use crate::error::PackageError;
use crate::idl::flyteidl::admin::{
    Annotations, Labels, LaunchPlan, LaunchPlanClosure, LaunchPlanMetadata, LaunchPlanSpec, RawOutputDataConfig,
};
use crate::idl::flyteidl::core::{LiteralMap, Parameter, ParameterMap, ResourceType, Variable, parameter};
use crate::literal::to_literal;
use crate::types::literal_type;

/// The default launch plan of `graph`, named as the workflow.
pub(crate) fn launch_plan(graph: &Graph) -> Result<LaunchPlan, PackageError> {
    let name = flyte_name(&graph.qualified_name());
    let mut parameters = std::collections::BTreeMap::new();
    for p in &graph.interface.inputs {
        let behavior = match &p.default {
            Some(value) => {
                parameter::Behavior::Default(to_literal(value, &p.ty).map_err(|source| PackageError::Literal {
                    workflow: graph.name.clone(),
                    what: format!("the default of input `{}`", p.name),
                    source,
                })?)
            }
            None => parameter::Behavior::Required(true),
        };
        let var = Variable { r#type: Some(literal_type(&p.ty)), description: p.name.clone(), ..Variable::default() };
        parameters.insert(p.name.clone(), Parameter { var: Some(var), behavior: Some(behavior) });
    }
    Ok(LaunchPlan {
        id: Some(identifier(ResourceType::LaunchPlan, &name)),
        spec: Some(LaunchPlanSpec {
            workflow_id: Some(identifier(ResourceType::Workflow, &name)),
            entity_metadata: Some(LaunchPlanMetadata::default()),
            default_inputs: Some(ParameterMap { parameters }),
            fixed_inputs: Some(LiteralMap::default()),
            labels: Some(Labels::default()),
            annotations: Some(Annotations::default()),
            raw_output_data_config: Some(RawOutputDataConfig::default()),
            ..LaunchPlanSpec::default()
        }),
        closure: Some(LaunchPlanClosure {
            expected_inputs: Some(ParameterMap::default()),
            expected_outputs: Some(crate::idl::flyteidl::core::VariableMap::default()),
            ..LaunchPlanClosure::default()
        }),
    })
}
