//! What a committed operation returned, carried by
//! [`Error::Callback`](crate::Error::Callback) when a callback failed after
//! the commit.

use std::any::Any;
use std::fmt;

/// The value a hooked operation (or bulk sync) would have returned, had no
/// callback failed after its commit: the written records (`Vec<M>`), a
/// count (`usize`) or a [`SyncReport`](crate::SyncReport). It is in
/// [`Error::Callback`](crate::Error::Callback) because the writes stand.
///
/// Transaction helpers running a closure (`transaction_with`,
/// `retry_transaction`, ...) keep nothing: their closure's value may be of
/// any type.
///
/// ```
/// # use hooks_diesel::Error;
/// fn created(error: Error) -> Option<Vec<String>> {
///     match error {
///         Error::Callback { committed, .. } => committed.downcast().ok(),
///         _ => None,
///     }
/// }
/// ```
pub struct Committed {
    value: Option<Box<dyn Any + Send + Sync>>,
    type_name: &'static str,
}

impl Committed {
    /// Keeps `value`.
    pub(crate) fn new<T: Any + Send + Sync>(value: T) -> Self {
        Committed {
            value: Some(Box::new(value)),
            type_name: std::any::type_name::<T>(),
        }
    }

    /// Keeps nothing (the committed value could not be kept).
    pub(crate) fn nothing() -> Self {
        Committed {
            value: None,
            type_name: "nothing",
        }
    }

    /// True when a value is kept.
    pub fn is_kept(&self) -> bool {
        self.value.is_some()
    }

    /// The kept value, when it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.value.as_ref()?.downcast_ref()
    }

    /// Takes the kept value out, when it is a `T`; gives `self` back
    /// otherwise.
    pub fn downcast<T: Any>(self) -> Result<T, Self> {
        match self.value {
            Some(value) => match value.downcast::<T>() {
                Ok(value) => Ok(*value),
                Err(value) => Err(Committed {
                    value: Some(value),
                    type_name: self.type_name,
                }),
            },
            None => Err(self),
        }
    }
}

impl fmt::Debug for Committed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Committed({})", self.type_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_and_gives_back_the_value() {
        let committed = Committed::new(vec![1, 2]);
        assert!(committed.is_kept());
        assert_eq!(committed.downcast_ref::<Vec<i32>>(), Some(&vec![1, 2]));
        let committed = committed.downcast::<usize>().unwrap_err();
        assert_eq!(committed.downcast::<Vec<i32>>().unwrap(), [1, 2]);
        let nothing = Committed::nothing();
        assert!(!nothing.is_kept());
        assert_eq!(format!("{nothing:?}"), "Committed(nothing)");
        assert!(nothing.downcast::<usize>().is_err());
    }
}
