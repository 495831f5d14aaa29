//! [`Settings`]: a task's options and a node's overrides, one field per line of the table in
//! [`flowmap_settings::settings`].

use std::time::Duration;

use flowmap_settings::resources::Resources;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! settings_struct {
    ($($key:ident : $ty:ty, task: $task:literal, node: $node:literal, example: $ex:literal, doc: $doc:literal;)*) => {
        /// A task's own settings (`#[task(...)]`), or a node's overrides (`.with_overrides(...)`).
        /// A key left out is `None`: for a task, the default; for a node, the task's value.
        /// Serialized with the keys users write; a duration as `"1m 30s"`, resources as
        /// `{"mem": "2Gi"}`.
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[non_exhaustive]
        pub struct Settings {
            $(
                #[doc = $doc]
                #[serde(default, skip_serializing_if = "Option::is_none", with = "repr")]
                pub $key: Option<$ty>,
            )*
        }

        impl Settings {
            /// Whether no key is set.
            #[must_use]
            pub fn is_empty(&self) -> bool {
                true $(&& self.$key.is_none())*
            }

            /// These settings with each key set in `overrides` replacing this one (resources
            /// key by key): a node's effective settings are its task's, merged with its overrides.
            #[must_use]
            pub fn merged(&self, overrides: &Settings) -> Settings {
                let mut out = self.clone();
                $(Merge::merge(&mut out.$key, &overrides.$key);)*
                out
            }
        }
    };
}

flowmap_settings::for_each_setting!(settings_struct);

/// How an override combines with the value below it.
trait Merge {
    fn merge(&mut self, over: &Self);
}

impl<T: Clone + Atomic> Merge for Option<T> {
    fn merge(&mut self, over: &Self) {
        if over.is_some() {
            self.clone_from(over);
        }
    }
}

impl Merge for Option<Resources> {
    fn merge(&mut self, over: &Self) {
        match (self.as_mut(), over) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (None, Some(theirs)) => *self = Some(theirs.clone()),
            (_, None) => {}
        }
    }
}

/// Values an override replaces whole.
trait Atomic {}
impl Atomic for String {}
impl Atomic for u32 {}
impl Atomic for bool {}
impl Atomic for Duration {}
impl Atomic for Vec<String> {}

/// The JSON form of each setting's value.
trait Repr: Sized {
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

macro_rules! plain_repr {
    ($($t:ty),*) => {$(
        impl Repr for $t {
            fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.serialize(s)
            }
            fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <$t>::deserialize(d)
            }
        }
    )*};
}

plain_repr!(String, u32, bool, Resources, Vec<String>);

impl Repr for Duration {
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&flowmap_settings::duration::format(*self))
    }
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        flowmap_settings::duration::parse_timeout(&text).map_err(serde::de::Error::custom)
    }
}

mod repr {
    use super::Repr;
    use serde::{Deserializer, Serializer};

    #[allow(clippy::ref_option)]
    pub(super) fn serialize<T: Repr, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => v.ser(s),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, T: Repr, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
        T::de(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use flowmap_settings::quantity::Quantity;
    use flowmap_settings::resources::ResourceKey;

    use super::*;

    fn res(entries: &[(ResourceKey, &str)]) -> Resources {
        Resources::from_entries(entries.iter().map(|(k, q)| (*k, Quantity::parse(q).unwrap())))
    }

    #[test]
    fn json_uses_the_keys_users_write_and_reads_back() {
        let s = Settings {
            retries: Some(2),
            timeout: Some(Duration::from_secs(90)),
            requests: Some(res(&[(ResourceKey::Cpu, "500m"), (ResourceKey::Mem, "2Gi")])),
            ..Settings::default()
        };
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"retries": 2, "timeout": "1m 30s", "requests": {"cpu": "500m", "mem": "2Gi"}})
        );
        assert_eq!(serde_json::from_value::<Settings>(json).unwrap(), s);
        let bad = serde_json::from_value::<Settings>(serde_json::json!({"timeout": "soon"}));
        assert!(bad.unwrap_err().to_string().contains("not a duration"));
        assert!(serde_json::from_value::<Settings>(serde_json::json!({"retry": 1})).is_err());
    }

    #[test]
    fn overrides_replace_values_and_merge_resources_key_by_key() {
        let task = Settings {
            retries: Some(3),
            cache: Some(true),
            requests: Some(res(&[(ResourceKey::Cpu, "1"), (ResourceKey::Mem, "1Gi")])),
            ..Settings::default()
        };
        let node =
            Settings { retries: Some(0), requests: Some(res(&[(ResourceKey::Mem, "2Gi")])), ..Settings::default() };
        let m = task.merged(&node);
        assert_eq!(m.retries, Some(0));
        assert_eq!(m.cache, Some(true));
        assert_eq!(m.requests, Some(res(&[(ResourceKey::Cpu, "1"), (ResourceKey::Mem, "2Gi")])));
        assert!(Settings::default().is_empty() && !node.is_empty());
    }
}
