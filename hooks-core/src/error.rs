//! Errors raised by hooks and by dispatch.

use std::error::Error as StdError;
use std::fmt;

use crate::event::Event;

/// A boxed error, as carried from hook bodies and callbacks.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// The error a hook body returns. Any error converts into it with `?`, and
/// [`HookError::msg`] makes one from text.
pub struct HookError(BoxError);

/// What a hook body returns.
pub type HookResult = Result<(), HookError>;

impl HookError {
    /// An error with a plain message.
    pub fn msg(message: impl Into<String>) -> Self {
        HookError(message.into().into())
    }

    /// The underlying error.
    pub fn into_inner(self) -> BoxError {
        self.0
    }
}

impl<E: StdError + Send + Sync + 'static> From<E> for HookError {
    fn from(error: E) -> Self {
        HookError(Box::new(error))
    }
}

impl fmt::Debug for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// One record a BEFORE hook rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Position of the record in the caller's batch.
    pub position: usize,
    /// The record's key, when it has one.
    pub key: Option<String>,
    /// Why the hook rejected it.
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(key) => write!(f, "record {} (key {key}): {}", self.position, self.reason),
            None => write!(f, "record {}: {}", self.position, self.reason),
        }
    }
}

struct List<'a, T>(&'a [T]);

impl<T: fmt::Display> fmt::Display for List<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 10;
        for (i, item) in self.0.iter().take(SHOWN).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{item}")?;
        }
        if self.0.len() > SHOWN {
            write!(f, " and {} more", self.0.len() - SHOWN)?;
        }
        Ok(())
    }
}

/// A hook registered under a name already registered for the same model
/// and event ([`Registry::try_add`](crate::Registry::try_add)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a hook named `{name}` is already registered for {event} of {model}: give the new one \
     another name, or replace the first on purpose with `Registry::replace`"
)]
pub struct DuplicateHook {
    /// The name.
    pub name: String,
    /// The event.
    pub event: Event,
    /// The model's name.
    pub model: &'static str,
}

/// Why dispatching hooks failed. The operation that dispatched them is
/// rolled back.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// A hook returned an error.
    #[error(
        "hook `{hook}` failed on {event} of {model} (records {}): {source}",
        List(.records)
    )]
    Hook {
        /// The hook's name.
        hook: String,
        /// The event being dispatched.
        event: Event,
        /// The model's name.
        model: &'static str,
        /// Keys (or batch positions) of the records the hook was given.
        records: Vec<String>,
        /// What the hook returned.
        #[source]
        source: BoxError,
    },
    /// BEFORE hooks rejected records; all rejections of the batch are listed.
    #[error(
        "{event} of {model} rejected {} record(s): {}; nothing was written",
        .rejections.len(),
        List(.rejections)
    )]
    Rejected {
        /// The event whose hooks rejected.
        event: Event,
        /// The model's name.
        model: &'static str,
        /// Every rejection of the batch.
        rejections: Vec<Rejection>,
    },
    /// Hooks ran hooked operations nested deeper than allowed. Returned as
    /// it is through every hook of the chain (not wrapped once per level).
    #[error(
        "hooked operations nested {depth} deep (limit {limit}): {}; a hook probably triggers \
         itself: stop the cycle or raise the limit with `max_depth`",
        Chain(.chain)
    )]
    DepthExceeded {
        /// The depth that was refused.
        depth: u32,
        /// The configured limit.
        limit: u32,
        /// The model of the refused operation.
        model: &'static str,
        /// How it got there, outermost first: `"Account AFTER_CREATE"` for
        /// each hook that ran a hooked operation, then the refused
        /// operation (`"Account create"`, or the model alone).
        chain: Vec<String>,
    },
}

struct Chain<'a>(&'a [String]);

/// `A > B (3 times) > C`: repeated steps counted, and a long chain cut in
/// the middle, so the message stays one short sentence at any depth.
impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const ENDS: usize = 4;
        let mut runs: Vec<(&str, usize)> = Vec::new();
        for step in self.0 {
            match runs.last_mut() {
                Some((last, n)) if *last == step.as_str() => *n += 1,
                _ => runs.push((step, 1)),
            }
        }
        let cut = runs.len() > 2 * ENDS;
        for (i, (step, n)) in runs.iter().enumerate() {
            if cut && i >= ENDS && i < runs.len() - ENDS {
                if i == ENDS {
                    write!(f, " > ({} more steps)", runs.len() - 2 * ENDS)?;
                }
                continue;
            }
            if i > 0 {
                f.write_str(" > ")?;
            }
            f.write_str(step)?;
            if *n > 1 {
                write!(f, " ({n} times)")?;
            }
        }
        Ok(())
    }
}

impl DispatchError {
    /// Accounts for the hook (of `model`, on `event`) that ran the refused
    /// operation of a [`DepthExceeded`](DispatchError::DepthExceeded): its
    /// step is put in front of the chain. Other errors are returned as
    /// they are.
    pub fn through_hook(self, model: &'static str, event: Event) -> DispatchError {
        match self {
            DispatchError::DepthExceeded {
                depth,
                limit,
                model: refused,
                mut chain,
            } => {
                chain.insert(0, format!("{model} {event}"));
                DispatchError::DepthExceeded {
                    depth,
                    limit,
                    model: refused,
                    chain,
                }
            }
            other => other,
        }
    }
}

impl From<HookError> for BoxError {
    fn from(error: HookError) -> Self {
        error.0
    }
}

#[cfg(test)]
mod tests {
    use super::Chain;

    fn chain(steps: &[&str]) -> String {
        let steps: Vec<String> = steps.iter().map(|s| s.to_string()).collect();
        Chain(&steps).to_string()
    }

    #[test]
    fn chains_count_repeats_and_cut_the_middle() {
        assert_eq!(chain(&["A", "A", "A", "B"]), "A (3 times) > B");
        assert_eq!(chain(&["A", "B", "A", "B"]), "A > B > A > B");
        let long: Vec<&str> = ["A", "B"].iter().cycle().take(20).copied().collect();
        assert_eq!(
            chain(&long),
            "A > B > A > B > (12 more steps) > A > B > A > B"
        );
    }
}
