#![allow(dead_code)]
//! A hand-written model for the unit tests of hooks-core (the derive lives
//! in another crate).

use hooks_core::{Field, FieldInfo, FieldSet, HookModel};

#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    pub id: i64,
    pub done: bool,
    pub title: String,
    pub due: Option<i64>,
    pub score: i64,
}

impl Task {
    pub const ID: Field<Task, i64> = Field::new(0, "id", |t| &t.id);
    pub const DONE: Field<Task, bool> = Field::new(1, "done", |t| &t.done);
    pub const TITLE: Field<Task, String> = Field::new(2, "title", |t| &t.title);
    pub const DUE: Field<Task, Option<i64>> = Field::new(3, "due", |t| &t.due);
    pub const SCORE: Field<Task, i64> = Field::new(4, "score", |t| &t.score);

    pub fn new(id: i64, title: &str) -> Task {
        Task {
            id,
            done: false,
            title: title.into(),
            due: None,
            score: 0,
        }
    }
}

const fn field(name: &'static str, key: bool) -> FieldInfo {
    FieldInfo {
        name,
        column: name,
        key,
        insertable: !key,
    }
}

impl HookModel for Task {
    type Key = i64;
    const MODEL: &'static str = "Task";
    const TABLE: &'static str = "tasks";
    const FIELDS: &'static [FieldInfo] = &[
        field("id", true),
        field("done", false),
        field("title", false),
        field("due", false),
        field("score", false),
    ];

    fn key(&self) -> i64 {
        self.id
    }

    fn has_key(&self) -> bool {
        self.id != 0
    }

    fn set_key(&mut self, key: i64) {
        self.id = key;
    }

    fn diff(&self, other: &Self) -> FieldSet {
        let mut set = FieldSet::EMPTY;
        if self.id != other.id {
            set.insert(0);
        }
        if self.done != other.done {
            set.insert(1);
        }
        if self.title != other.title {
            set.insert(2);
        }
        if self.due != other.due {
            set.insert(3);
        }
        if self.score != other.score {
            set.insert(4);
        }
        set
    }

    fn copy_fields(&mut self, from: &Self, fields: FieldSet) {
        if fields.contains(0) {
            self.id = from.id;
        }
        if fields.contains(1) {
            self.done = from.done;
        }
        if fields.contains(2) {
            self.title = from.title.clone();
        }
        if fields.contains(3) {
            self.due = from.due;
        }
        if fields.contains(4) {
            self.score = from.score;
        }
    }
}

/// A stand-in for the connection hooks receive: records what ran.
#[derive(Default)]
pub struct Conn {
    pub log: Vec<String>,
    pub scope: hooks_core::Scope,
}

impl<M: HookModel> hooks_core::Hosts<M> for Conn {}

impl hooks_core::HasScope for Conn {
    fn scope(&mut self) -> &mut hooks_core::Scope {
        &mut self.scope
    }
}
