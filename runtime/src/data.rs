//! [`Data`]: what may flow between tasks.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// What a type must be to flow between flowmap tasks: plain, owned, serde data.
///
/// Implemented for every type that is `Serialize + DeserializeOwned + Clone + Send + Sync + 'static`.
/// `Clone` is needed because a promise may feed several nodes, and a `partial` input goes whole
/// to every element of a map.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot flow between flowmap tasks",
    label = "not plain serde data",
    note = "task and workflow inputs and outputs must be `Serialize + Deserialize + Clone + Send + Sync + 'static`; \
            derive them with `#[derive(Clone, serde::Serialize, serde::Deserialize)]`"
)]
pub trait Data: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {}

#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static> Data for T {}

/// The descriptor of `T`, for a graph's typed interfaces.
#[must_use]
pub fn describe<T: DeserializeOwned>() -> flowmap_model::types::TypeDesc {
    flowmap_model::types::TypeDesc::of::<T>()
}
