//! The resource keys of `requests(...)` and `limits(...)`, and how each is read.

use crate::quantity::Quantity;

/// One resource kind a task can request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceKey {
    /// CPU cores: `"1"`, `"500m"`, `"1.5"`.
    Cpu,
    /// Memory: `"2Gi"`, `"500Mi"`, `"1G"`.
    Mem,
    /// Whole GPUs: `"1"`.
    Gpu,
    /// Scratch disk: `"1Gi"`.
    EphemeralStorage,
}

impl ResourceKey {
    /// Every key, in the order the graph lists them.
    pub const ALL: [ResourceKey; 4] = [Self::Cpu, Self::Mem, Self::Gpu, Self::EphemeralStorage];
    /// The names users write.
    pub const NAMES: [&'static str; 4] = ["cpu", "mem", "gpu", "ephemeral_storage"];

    /// The key a user wrote, if it is one. `memory` is accepted for `mem`, as in flytekit's `Resources`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "cpu" => Some(Self::Cpu),
            "mem" | "memory" => Some(Self::Mem),
            "gpu" => Some(Self::Gpu),
            "ephemeral_storage" => Some(Self::EphemeralStorage),
            _ => None,
        }
    }

    /// The name users write.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Mem => "mem",
            Self::Gpu => "gpu",
            Self::EphemeralStorage => "ephemeral_storage",
        }
    }

    /// Checks a quantity for this key: GPUs are whole, everything is positive.
    ///
    /// # Errors
    /// A message for the user naming the key and what to write instead.
    pub fn check(self, text: &str) -> Result<Quantity, String> {
        let q = Quantity::parse(text).map_err(|e| format!("`{}`: {e}", self.name()))?;
        if q.is_zero() {
            return Err(format!("`{}` = \"{text}\" is zero; leave the key out to request nothing", self.name()));
        }
        if self == Self::Gpu && !q.is_whole() {
            return Err(format!("`gpu` = \"{text}\" is not a whole number; GPUs are requested whole, such as \"1\""));
        }
        Ok(q)
    }
}
