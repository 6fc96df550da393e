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
    /// Classifications of statement texts whose type Diesel renders
    /// differently from use to use (a `Vec` insert, an `eq_any` list,
    /// `sql_query`), so that a text seen again is not scanned again.
    pub texts: TextCache,
    /// The columns and defaults of the tables whose inserts were
    /// previewed, read once per table (forgotten when a statement changes
    /// a schema).
    pub catalog: HashMap<&'static str, Arc<Vec<ColumnDefault>>>,
    /// The records inserts of a model start from when read on the
    /// client, per model and fields left to the database (`decode`);
    /// forgotten with the catalog.
    pub bases: HashMap<super::decode::BaseKey, Arc<dyn Any + Send + Sync>>,
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
        self.texts.clear();
        self.catalog.clear();
        self.bases.clear();
        self.warned_tables.clear();
    }
}

/// Classifications by statement text, bounded: when adding one would pass
/// [`TextCache::MAX_ENTRIES`] entries or [`TextCache::MAX_BYTES`] bytes of
/// text, the cache starts over.
#[derive(Default)]
pub(crate) struct TextCache {
    entries: HashMap<String, Arc<dyn Any + Send + Sync>>,
    bytes: usize,
}

impl TextCache {
    /// Texts kept at most.
    pub(crate) const MAX_ENTRIES: usize = 64;
    /// Bytes of text kept at most.
    pub(crate) const MAX_BYTES: usize = 8 << 20;

    pub(crate) fn get(&self, text: &str) -> Option<&Arc<dyn Any + Send + Sync>> {
        self.entries.get(text)
    }

    pub(crate) fn insert(&mut self, text: String, classified: Arc<dyn Any + Send + Sync>) {
        if text.len() > Self::MAX_BYTES {
            return;
        }
        if self.entries.len() >= Self::MAX_ENTRIES || self.bytes + text.len() > Self::MAX_BYTES {
            self.clear();
        }
        if !self.entries.contains_key(&text) {
            self.bytes += text.len();
        }
        self.entries.insert(text, classified);
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::TextCache;
    use std::sync::Arc;

    #[test]
    fn the_text_cache_starts_over_when_full() {
        let mut cache = TextCache::default();
        for n in 0..TextCache::MAX_ENTRIES {
            cache.insert(format!("SELECT {n}"), Arc::new(n));
        }
        assert_eq!(cache.len(), TextCache::MAX_ENTRIES);
        assert!(cache.get("SELECT 3").is_some());
        cache.insert("SELECT 'one more'".into(), Arc::new(0));
        assert_eq!(cache.len(), 1, "started over");
        assert!(cache.get("SELECT 3").is_none());
        assert!(cache.get("SELECT 'one more'").is_some());
    }

    #[test]
    fn the_text_cache_is_bounded_in_bytes() {
        let mut cache = TextCache::default();
        cache.insert("x".repeat(TextCache::MAX_BYTES + 1), Arc::new(0));
        assert_eq!(cache.len(), 0, "a text over the bound is not kept");
        let half = TextCache::MAX_BYTES / 2 + 1;
        cache.insert("a".repeat(half), Arc::new(1));
        cache.insert("b".repeat(half), Arc::new(2));
        assert_eq!(
            cache.len(),
            1,
            "the second would pass the bound: started over"
        );
        assert!(cache.get(&"b".repeat(half)).is_some());
    }
}
