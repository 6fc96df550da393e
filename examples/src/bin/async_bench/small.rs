//! Many concurrent small requests: `clients` tasks, each with a connection
//! of its own, each request one transaction that inserts an account (one
//! ordinary Diesel `INSERT`, hooked) and raises its balance (one ordinary
//! `UPDATE`, hooked), for `seconds` per variant. `sync_hooked` is the
//! sync hooked connection with each request handed whole to a blocking
//! thread (`spawn_blocking`), as an application without this crate would.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::PgConnection;
use diesel::{ExpressionMethods, QueryDsl};
use hooks_diesel::HookedConnection;
use hooks_diesel_async::AsyncHookedConnection;
use hooks_examples::schema::accounts;

use crate::native::BlockOn;
use crate::phases::{workload_hooks, Seen};
use crate::{Args, BoxError};

/// One request through a diesel-async connection (the transaction by its
/// manager: `AsyncConnection::transaction`'s async closure trips
/// rust-lang/rust#100013 inside a spawned task).
macro_rules! async_request {
    ($conn:expr, $owner:expr, $tm:ty) => {{
        use diesel_async::{RunQueryDsl, TransactionManager};
        let c = $conn;
        <$tm>::begin_transaction(&mut *c).await?;
        let result = async {
            let id: i64 = diesel::insert_into(accounts::table)
                .values((
                    accounts::owner.eq($owner),
                    accounts::balance.eq(1_i64),
                    accounts::status.eq("active"),
                ))
                .returning(accounts::id)
                .get_result(&mut *c)
                .await?;
            diesel::update(accounts::table.find(id))
                .set(accounts::balance.eq(accounts::balance + 1))
                .execute(&mut *c)
                .await?;
            diesel::QueryResult::Ok(())
        }
        .await;
        match result {
            Ok(()) => <$tm>::commit_transaction(&mut *c).await,
            Err(e) => {
                <$tm>::rollback_transaction(&mut *c).await?;
                Err(e)
            }
        }
    }};
}

fn sync_request<C>(conn: &mut C, owner: String) -> diesel::QueryResult<()>
where
    C: diesel::Connection<Backend = diesel::pg::Pg> + diesel::connection::LoadConnection,
{
    use diesel::RunQueryDsl;
    conn.transaction(|c| {
        let id: i64 = diesel::insert_into(accounts::table)
            .values((
                accounts::owner.eq(owner),
                accounts::balance.eq(1_i64),
                accounts::status.eq("active"),
            ))
            .returning(accounts::id)
            .get_result(c)?;
        diesel::update(accounts::table.find(id))
            .set(accounts::balance.eq(accounts::balance + 1))
            .execute(c)?;
        Ok(())
    })
}

/// One variant's connection.
enum Client {
    Async(AsyncHookedConnection<PgConnection>),
    Native(Box<HookedConnection<BlockOn>>),
    Bare(diesel_async::AsyncPgConnection),
    /// The sync hooked connection, each request on a blocking thread.
    Sync(Option<HookedConnection<PgConnection>>),
}

impl Client {
    async fn request(&mut self, owner: String) -> diesel::QueryResult<()> {
        type Tm<C> = <C as diesel_async::AsyncConnection>::TransactionManager;
        match self {
            Client::Async(c) => async_request!(c, owner, Tm<AsyncHookedConnection<PgConnection>>),
            Client::Bare(c) => async_request!(c, owner, Tm<diesel_async::AsyncPgConnection>),
            Client::Native(c) => tokio::task::block_in_place(|| sync_request(&mut **c, owner)),
            Client::Sync(slot) => {
                let mut conn = slot.take().ok_or_else(|| diesel::result::Error::NotFound)?;
                let (conn, result) = tokio::task::spawn_blocking(move || {
                    let result = sync_request(&mut conn, owner);
                    (conn, result)
                })
                .await
                .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
                *slot = Some(conn);
                result
            }
        }
    }
}

async fn open(variant: &str, url: &str, seen: &Arc<Seen>) -> Result<Client, BoxError> {
    use diesel_async::AsyncConnection;
    Ok(match variant {
        "async_hooked" => {
            Client::Async(AsyncHookedConnection::connect(url, workload_hooks(seen)).await?)
        }
        "async_hooked_in_place" => Client::Async(
            AsyncHookedConnection::connect(url, workload_hooks(seen))
                .await?
                .with_blocking(hooks_diesel_async::Blocking::InPlace),
        ),
        "native_hooked" => Client::Native(Box::new(HookedConnection::new(
            BlockOn::connect(url).await?,
            workload_hooks(seen),
        ))),
        "async_bare" => Client::Bare(diesel_async::AsyncPgConnection::establish(url).await?),
        "sync_hooked" => Client::Sync(Some(HookedConnection::new(
            <PgConnection as diesel::Connection>::establish(url)?,
            workload_hooks(seen),
        ))),
        other => return Err(format!("no variant {other}").into()),
    })
}

/// Runs the small requests as each variant; prints requests per second.
pub async fn run(url: &str, args: Args) -> Result<(), BoxError> {
    let mut rates = Vec::new();
    let mut admin = <PgConnection as diesel::Connection>::establish(url)?;
    for variant in [
        "async_hooked",
        "native_hooked",
        "async_bare",
        "sync_hooked",
        "async_hooked_in_place",
    ] {
        // Every variant starts from an empty table.
        for sql in [
            "TRUNCATE accounts RESTART IDENTITY",
            "VACUUM ANALYZE accounts",
        ] {
            diesel::connection::SimpleConnection::batch_execute(&mut admin, sql)?;
        }
        let seen = Arc::new(Seen::default());
        let done = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for client in 0..args.clients {
            let mut conn = open(variant, url, &seen).await?;
            let (done, stop) = (Arc::clone(&done), Arc::clone(&stop));
            tasks.push(tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    conn.request(format!("c{client}-{i}")).await?;
                    done.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
                diesel::QueryResult::Ok(())
            }));
        }
        let start = Instant::now();
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            task.await??;
        }
        let secs = start.elapsed().as_secs_f64();
        let rate = done.load(Ordering::Relaxed) as f64 / secs;
        let hooks = seen.0.load(Ordering::Relaxed);
        println!(
            "small variant={variant} clients={} seconds={:.1} requests={} requests_per_s={rate:.0} hook_records={hooks}",
            args.clients,
            secs,
            done.load(Ordering::Relaxed)
        );
        rates.push(rate);
    }
    println!(
        "ratios small (requests/s) async_hooked/native_hooked={:.2} async_hooked/sync_hooked={:.2} \
         async_hooked/async_bare={:.2} async_hooked_in_place/sync_hooked={:.2}",
        rates[0] / rates[1],
        rates[0] / rates[3],
        rates[0] / rates[2],
        rates[4] / rates[3]
    );
    Ok(())
}
