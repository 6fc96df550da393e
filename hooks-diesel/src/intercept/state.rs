//! What the interception pipeline keeps per connection: the classified
//! statement types, the catalog of tables whose inserts it previewed, and
//! the writes it let through unhooked.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

use crate::backend::ColumnDefault;

/// Per-connection state of the interception pipeline.
#[derive(Default)]
pub(crate) struct Interception {
    /// Classifications of statement types (Diesel's static query ids), so
    /// that a statement type is rendered and scanned once per connection.
    /// Values are `Classified<C>` of the connection's `C`.
    pub statements: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    /// The columns and defaults of the tables whose inserts were
    /// previewed, read once per table (forgotten when a statement changes
    /// a schema).
    pub catalog: HashMap<&'static str, Arc<Vec<ColumnDefault>>>,
    /// The tables warned about under `UnhookedWrites::Warn`.
    pub warned_tables: Vec<String>,
    /// How many statements `UnhookedWrites::Warn` let through.
    pub warnings: usize,
}

impl Interception {
    /// Forgets what was learnt of statements and tables (the registry
    /// changed).
    pub(crate) fn forget(&mut self) {
        self.statements.clear();
        self.catalog.clear();
        self.warned_tables.clear();
    }
}
