//! The cache hashes of a call's inputs, and of each element of a map: the cache's side of the
//! tuple traits (see `tuple`).

use crate::arities::input_arities;
use crate::cache::key::{InputHash, KeyError};
use crate::data::Data;
use crate::tuple::{Column, InputTuple};

/// What computing cache keys reuses from one call to the next.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct KeyScratch {
    /// The bytes of the value being encoded.
    pub(crate) bytes: Vec<u8>,
    /// The hash of each input of the call being keyed.
    pub(crate) hashes: Vec<Option<InputHash>>,
    /// The hashes of a map's whole (`partial`) inputs, once computed.
    pub(crate) memo: Vec<Option<InputHash>>,
}

/// Inputs that the cache keys.
#[doc(hidden)]
pub trait HashInputs: InputTuple {
    /// The cache hashes of these inputs into `keys.hashes` (`None` where `skip`).
    ///
    /// # Errors
    /// An input that cannot be encoded.
    fn hashes(&self, skip: &[bool], keys: &mut KeyScratch) -> Result<(), KeyError>;
    /// The cache hashes of element `i`'s inputs into `keys.hashes`; whole values are hashed once
    /// per `keys`.
    ///
    /// # Errors
    /// An input that cannot be encoded.
    fn element_hashes(columns: &Self::Columns, i: usize, skip: &[bool], keys: &mut KeyScratch) -> Result<(), KeyError>;
}

/// The cache hash of element `i`'s value in `column`; a whole value's is computed once, into
/// `memo`.
fn column_hash<T: Data>(
    column: &Column<T>,
    i: usize,
    scratch: &mut Vec<u8>,
    memo: &mut Option<InputHash>,
) -> Result<InputHash, KeyError> {
    match column {
        Column::Whole(v) => match memo {
            Some(h) => Ok(*h),
            None => Ok(*memo.insert(InputHash::of(scratch, &**v)?)),
        },
        Column::Each(list) => InputHash::of(scratch, &list[i]),
    }
}

macro_rules! hash_inputs {
    ($( ($($T:ident $i:tt),*) )*) => {$(
        impl<$($T: Data),*> HashInputs for ($($T,)*) {
            #[allow(unused_variables)]
            fn hashes(&self, skip: &[bool], keys: &mut KeyScratch) -> Result<(), KeyError> {
                keys.hashes.clear();
                $(
                    let h = if skip.get($i).copied().unwrap_or(false) {
                        None
                    } else {
                        Some(InputHash::of(&mut keys.bytes, &self.$i)?)
                    };
                    keys.hashes.push(h);
                )*
                Ok(())
            }
            #[allow(unused_variables)]
            fn element_hashes(
                columns: &Self::Columns,
                i: usize,
                skip: &[bool],
                keys: &mut KeyScratch,
            ) -> Result<(), KeyError> {
                keys.hashes.clear();
                $(
                    let h = if skip.get($i).copied().unwrap_or(false) {
                        None
                    } else {
                        if keys.memo.len() <= $i {
                            keys.memo.resize($i + 1, None);
                        }
                        Some(column_hash(&columns.$i, i, &mut keys.bytes, &mut keys.memo[$i])?)
                    };
                    keys.hashes.push(h);
                )*
                Ok(())
            }
        }
    )*};
}

input_arities!(hash_inputs);
