//! The six lifecycle events and the operation kinds they belong to.

use std::fmt;

/// The kind of write an event belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// Rows are inserted.
    Create,
    /// Existing rows are changed.
    Update,
    /// Existing rows are removed.
    Delete,
}

/// Whether a hook runs before or after the write reaches the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timing {
    /// Before the write: hooks may edit the new records or reject them.
    Before,
    /// After the write: hooks see the records as stored.
    After,
}

/// A lifecycle event: an [`Operation`] at a [`Timing`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    /// Before rows are inserted.
    BeforeCreate,
    /// After rows are inserted; records carry their stored keys and defaults.
    AfterCreate,
    /// Before rows are updated.
    BeforeUpdate,
    /// After rows are updated.
    AfterUpdate,
    /// Before rows are deleted.
    BeforeDelete,
    /// After rows are deleted; records are the rows as they were.
    AfterDelete,
}

impl Event {
    /// All six events, in lifecycle order.
    pub const ALL: [Event; 6] = [
        Event::BeforeCreate,
        Event::AfterCreate,
        Event::BeforeUpdate,
        Event::AfterUpdate,
        Event::BeforeDelete,
        Event::AfterDelete,
    ];

    /// The event for an operation at a timing.
    pub const fn of(operation: Operation, timing: Timing) -> Event {
        match (operation, timing) {
            (Operation::Create, Timing::Before) => Event::BeforeCreate,
            (Operation::Create, Timing::After) => Event::AfterCreate,
            (Operation::Update, Timing::Before) => Event::BeforeUpdate,
            (Operation::Update, Timing::After) => Event::AfterUpdate,
            (Operation::Delete, Timing::Before) => Event::BeforeDelete,
            (Operation::Delete, Timing::After) => Event::AfterDelete,
        }
    }

    /// The operation this event belongs to.
    pub const fn operation(self) -> Operation {
        match self {
            Event::BeforeCreate | Event::AfterCreate => Operation::Create,
            Event::BeforeUpdate | Event::AfterUpdate => Operation::Update,
            Event::BeforeDelete | Event::AfterDelete => Operation::Delete,
        }
    }

    /// Before or after the write.
    pub const fn timing(self) -> Timing {
        match self {
            Event::BeforeCreate | Event::BeforeUpdate | Event::BeforeDelete => Timing::Before,
            _ => Timing::After,
        }
    }

    /// Position in [`Event::ALL`], used to index per-event tables.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The name used in messages and spans, e.g. `BEFORE_UPDATE`.
    pub const fn name(self) -> &'static str {
        match self {
            Event::BeforeCreate => "BEFORE_CREATE",
            Event::AfterCreate => "AFTER_CREATE",
            Event::BeforeUpdate => "BEFORE_UPDATE",
            Event::AfterUpdate => "AFTER_UPDATE",
            Event::BeforeDelete => "BEFORE_DELETE",
            Event::AfterDelete => "AFTER_DELETE",
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_operation_and_timing() {
        for (i, event) in Event::ALL.into_iter().enumerate() {
            assert_eq!(event.index(), i);
            assert_eq!(Event::of(event.operation(), event.timing()), event);
        }
        assert_eq!(Event::AfterDelete.to_string(), "AFTER_DELETE");
    }
}
