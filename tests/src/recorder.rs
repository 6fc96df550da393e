//! Shared recorders for what hooks saw, and a statement counter.

use std::sync::{Arc, Mutex};

use diesel::connection::{Instrumentation, InstrumentationEvent};

/// A list hooks append to and tests read, shared across threads.
#[derive(Clone, Debug)]
pub struct Seen<T>(Arc<Mutex<Vec<T>>>);

impl<T> Default for Seen<T> {
    fn default() -> Self {
        Seen(Arc::new(Mutex::new(Vec::new())))
    }
}

impl<T: Clone> Seen<T> {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one item.
    pub fn push(&self, item: T) {
        self.0.lock().expect("recorder lock").push(item);
    }

    /// Appends many.
    pub fn extend(&self, items: impl IntoIterator<Item = T>) {
        self.0.lock().expect("recorder lock").extend(items);
    }

    /// A copy of everything recorded.
    pub fn all(&self) -> Vec<T> {
        self.0.lock().expect("recorder lock").clone()
    }

    /// How many items were recorded.
    pub fn len(&self) -> usize {
        self.0.lock().expect("recorder lock").len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The `SET` clause of an UPDATE statement: up to its `FROM` (SQLite,
/// PostgreSQL) or to the end (MySQL's `UPDATE t JOIN ... SET ...`).
pub fn assignments(update: &str) -> &str {
    let start = update.find(" SET ").map_or(0, |i| i + " SET ".len());
    let rest = &update[start..];
    rest.find(" FROM ").map_or(rest, |end| &rest[..end])
}

/// Records the SQL of every statement a connection starts.
#[derive(Clone, Default)]
pub struct Statements(Seen<String>);

impl Statements {
    /// The SQL of the statements seen, in order.
    pub fn sql(&self) -> Vec<String> {
        self.0.all()
    }

    /// Statements whose SQL starts with `verb` (case-insensitive).
    pub fn count(&self, verb: &str) -> usize {
        self.sql()
            .iter()
            .filter(|s| {
                s.trim_start()
                    .to_uppercase()
                    .starts_with(&verb.to_uppercase())
            })
            .count()
    }

    /// The UPDATE statements seen (also those led by a `WITH` clause).
    pub fn updates(&self) -> Vec<String> {
        self.sql()
            .into_iter()
            .filter(|s| {
                let s = s.trim_start().to_uppercase();
                s.starts_with("UPDATE") || (s.starts_with("WITH") && s.contains(" UPDATE "))
            })
            .collect()
    }

    /// Forgets what was seen.
    pub fn clear(&self) {
        self.0 .0.lock().expect("recorder lock").clear();
    }
}

impl Instrumentation for Statements {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            self.0.push(query.to_string());
        }
    }
}
