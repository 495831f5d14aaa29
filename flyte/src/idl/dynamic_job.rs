// Written by hand, not generated: `flyteidl/core/dynamic_job.proto` of flyteidl 1.16, whose one
// message has five fields (checked against flyteidl's Python classes by `flyte/check`). When
// `regenerate.sh` next runs, add that file to `gen`'s FILES and delete this one.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct DynamicJobSpec {
    #[prost(message, repeated, tag = "1")]
    pub nodes: ::prost::alloc::vec::Vec<Node>,
    #[prost(int64, tag = "2")]
    pub min_successes: i64,
    #[prost(message, repeated, tag = "3")]
    pub outputs: ::prost::alloc::vec::Vec<Binding>,
    #[prost(message, repeated, tag = "4")]
    pub tasks: ::prost::alloc::vec::Vec<TaskTemplate>,
    #[prost(message, repeated, tag = "5")]
    pub subworkflows: ::prost::alloc::vec::Vec<WorkflowTemplate>,
}
