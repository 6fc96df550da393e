//! The hooked operations and callbacks of [`AsyncHookedConnection`], as
//! async methods: each is the sync `HookedConnection` method of the same
//! name, run on the blocking thread with its records moved there and back.

use hooks_diesel::hooks_core::{BoxError, FieldKey, KeyFields};
use hooks_diesel::{
    Changes, Filter, HookedConnection, ModelTable, Result, Saved, SyncOptions, SyncReport,
    Writable, Written,
};

use crate::query::AsyncInner;
use crate::AsyncHookedConnection;

impl<C: AsyncInner> AsyncHookedConnection<C> {
    /// Runs a fallible `f` with the hooked connection on the blocking
    /// thread; a lost connection is an [`Error::Diesel`](hooks_diesel::Error).
    pub async fn run<R, F>(&mut self, f: F) -> Result<R>
    where
        F: FnOnce(&mut HookedConnection<C>) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        self.with(f).await?
    }

    /// [`HookedConnection::bulk_create`].
    ///
    /// ```
    /// # use diesel::prelude::*;
    /// # use hooks_diesel::{Batch, Hook, HookModel, Registry};
    /// # use hooks_diesel_async::AsyncHookedConnection;
    /// # use diesel_async::SimpleAsyncConnection;
    /// # diesel::table! { notes (id) { id -> BigInt, body -> Text, } }
    /// # #[derive(Queryable, Selectable, Insertable, HookModel, Clone, Debug)]
    /// # #[diesel(table_name = notes)]
    /// # struct Note { #[diesel(skip_insertion)] id: i64, body: String }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let registry = Registry::new().with(Hook::before_create(|_ctx, batch: &mut Batch<Note>| {
    ///     batch.news_mut().for_each(|n| n.body = n.body.trim().to_owned());
    ///     Ok(())
    /// }));
    /// let mut conn = AsyncHookedConnection::<SqliteConnection>::connect(":memory:", registry).await?;
    /// conn.batch_execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").await?;
    /// let notes = conn.bulk_create(vec![Note { id: 0, body: " hi ".into() }]).await?;
    /// assert_eq!((notes[0].id, notes[0].body.as_str()), (1, "hi"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn bulk_create<M>(&mut self, records: Vec<M>) -> Result<Vec<M>>
    where
        M: Writable<C::Backend> + Send + 'static,
    {
        self.run(move |c| c.bulk_create(records)).await
    }

    /// [`HookedConnection::bulk_update`].
    pub async fn bulk_update<M>(&mut self, records: Vec<M>) -> Result<Written<M>>
    where
        M: Writable<C::Backend> + Send + 'static,
    {
        self.run(move |c| c.bulk_update(records)).await
    }

    /// [`HookedConnection::bulk_update_fields`].
    pub async fn bulk_update_fields<M>(
        &mut self,
        records: Vec<M>,
        fields: Vec<FieldKey<M>>,
    ) -> Result<Written<M>>
    where
        M: Writable<C::Backend> + Send + 'static,
    {
        self.run(move |c| c.bulk_update_fields(records, &fields))
            .await
    }

    /// [`HookedConnection::bulk_delete`] (the records are handed over: a
    /// `Vec`, or a slice, copied).
    pub async fn bulk_delete<M>(&mut self, records: impl Into<Vec<M>>) -> Result<usize>
    where
        M: Writable<C::Backend> + Send + 'static,
    {
        let records = records.into();
        self.run(move |c| c.bulk_delete(&records)).await
    }

    /// [`HookedConnection::update_where`]: the rows matched by `filter`
    /// changed by `changes`, returned as written.
    pub async fn update_where<M>(
        &mut self,
        filter: impl Filter<M::Table, C::Backend> + Send + 'static,
        changes: impl Changes<M::Table, C::Backend> + Send + 'static,
    ) -> Result<Vec<M>>
    where
        M: Writable<C::Backend> + ModelTable + Send + 'static,
    {
        self.run(move |c| c.update_where::<M>(filter, changes))
            .await
    }

    /// [`HookedConnection::update_where_count`].
    pub async fn update_where_count<M>(
        &mut self,
        filter: impl Filter<M::Table, C::Backend> + Send + 'static,
        changes: impl Changes<M::Table, C::Backend> + Send + 'static,
    ) -> Result<usize>
    where
        M: Writable<C::Backend> + ModelTable + Send + 'static,
    {
        self.run(move |c| c.update_where_count::<M>(filter, changes))
            .await
    }

    /// [`HookedConnection::delete_where`].
    pub async fn delete_where<M>(
        &mut self,
        filter: impl Filter<M::Table, C::Backend> + Send + 'static,
    ) -> Result<usize>
    where
        M: Writable<C::Backend> + ModelTable + Send + 'static,
    {
        self.run(move |c| c.delete_where::<M>(filter)).await
    }

    /// [`HookedConnection::bulk_sync`].
    pub async fn bulk_sync<M>(
        &mut self,
        records: Vec<M>,
        key: impl KeyFields<M> + Send + 'static,
        filter: impl Filter<M::Table, C::Backend> + Send + 'static,
        options: SyncOptions<M>,
    ) -> Result<SyncReport>
    where
        M: Writable<C::Backend> + ModelTable + Send + 'static,
        SyncOptions<M>: Send,
    {
        self.run(move |c| c.bulk_sync(records, key, filter, options))
            .await
    }

    /// [`HookedConnection::create`].
    pub async fn create<M>(&mut self, record: M) -> Result<M>
    where
        M: Writable<C::Backend> + Send + 'static,
    {
        self.run(move |c| c.create(record)).await
    }

    /// [`HookedConnection::update`].
    pub async fn update<M>(&mut self, record: M) -> Result<Saved<M>>
    where
        M: Writable<C::Backend> + Send + 'static,
    {
        self.run(move |c| c.update(record)).await
    }

    /// [`HookedConnection::save`].
    pub async fn save<M>(&mut self, record: M) -> Result<Saved<M>>
    where
        M: Writable<C::Backend> + Send + 'static,
    {
        self.run(move |c| c.save(record)).await
    }

    /// [`HookedConnection::delete`] (the record is handed over).
    pub async fn delete<M>(&mut self, record: M) -> Result<()>
    where
        M: Writable<C::Backend> + Send + 'static,
    {
        self.run(move |c| c.delete(&record)).await
    }

    /// [`HookedConnection::on_commit`]: `f` runs after the outermost
    /// transaction commits (at once outside one), on the blocking thread
    /// that ran the `COMMIT`, with the sync hooked connection. It is inside
    /// the runtime: `tokio::spawn` from it starts async follow-up work.
    ///
    /// Callbacks are kept by the connection, not the task: register them
    /// between the `begin` and the `commit` of the transaction they belong
    /// to (inside `conn.transaction(..)`).
    pub async fn on_commit<F>(&mut self, f: F) -> Result<()>
    where
        F: FnOnce(&mut HookedConnection<C>) -> std::result::Result<(), BoxError> + Send + 'static,
    {
        self.run(move |c| {
            c.on_commit(f);
            Ok(())
        })
        .await
    }

    /// [`HookedConnection::on_rollback`].
    pub async fn on_rollback<F>(&mut self, f: F) -> Result<()>
    where
        F: FnOnce(&mut HookedConnection<C>) -> std::result::Result<(), BoxError> + Send + 'static,
    {
        self.run(move |c| {
            c.on_rollback(f);
            Ok(())
        })
        .await
    }

    /// [`HookedConnection::pending_callbacks`]: how many `on_commit`
    /// callbacks and deferred hooks wait for the outermost commit (in a
    /// test transaction, for ever: see [`run_pending_callbacks`](Self::run_pending_callbacks)).
    pub async fn pending_callbacks(&mut self) -> Result<usize> {
        self.run(|c| Ok(c.pending_callbacks())).await
    }

    /// [`HookedConnection::run_pending_callbacks`]: runs now what a commit
    /// would run, without ending the transaction.
    pub async fn run_pending_callbacks(&mut self) -> Result<usize> {
        self.run(|c| c.run_pending_callbacks()).await
    }

    /// [`HookedConnection::clear_callbacks`] (no statement; on the
    /// caller's thread).
    pub fn clear_callbacks(&mut self) {
        if let Some(conn) = self.hooked() {
            conn.clear_callbacks();
        }
    }
}
