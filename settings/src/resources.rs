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

/// A set of resource quantities, at most one per [`ResourceKey`]: a task's `requests(...)` or
/// `limits(...)`. Serialized as a map from key name to quantity text (`{"mem": "2Gi"}`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    entries: [Option<Quantity>; 4],
}

impl ResourceKey {
    fn index(self) -> usize {
        match self {
            Self::Cpu => 0,
            Self::Mem => 1,
            Self::Gpu => 2,
            Self::EphemeralStorage => 3,
        }
    }
}

impl Resources {
    /// Resources from checked `(key, quantity)` pairs; a later pair replaces an earlier one of
    /// the same key.
    #[must_use]
    pub fn from_entries(entries: impl IntoIterator<Item = (ResourceKey, Quantity)>) -> Self {
        let mut r = Resources::default();
        for (k, q) in entries {
            r.set(k, q);
        }
        r
    }

    /// The quantity of `key`, if set.
    #[must_use]
    pub fn get(&self, key: ResourceKey) -> Option<&Quantity> {
        self.entries[key.index()].as_ref()
    }

    /// Sets `key` to `quantity`.
    pub fn set(&mut self, key: ResourceKey, quantity: Quantity) {
        self.entries[key.index()] = Some(quantity);
    }

    /// Whether no key is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.iter().all(Option::is_none)
    }

    /// The keys that are set, with their quantities, in [`ResourceKey::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (ResourceKey, &Quantity)> {
        ResourceKey::ALL.into_iter().filter_map(|k| Some((k, self.get(k)?)))
    }

    /// Each key set in `other` replaces the same key here.
    pub fn merge(&mut self, other: &Resources) {
        for (k, q) in other.iter() {
            self.set(k, q.clone());
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Resources {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.iter().count()))?;
        for (k, q) in self.iter() {
            map.serialize_entry(k.name(), q)?;
        }
        map.end()
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Resources {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let map = std::collections::BTreeMap::<String, String>::deserialize(d)?;
        let mut r = Resources::default();
        for (name, text) in map {
            let key = ResourceKey::from_name(&name).ok_or_else(|| {
                D::Error::custom(format!(
                    "unknown resource `{name}`; the resources are {}",
                    ResourceKey::NAMES.join(", ")
                ))
            })?;
            r.set(key, key.check(&text).map_err(D::Error::custom)?);
        }
        Ok(r)
    }
}
