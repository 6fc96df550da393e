//! The workload's four phases, N records each, every variant from the same
//! table state; the median of `repeat` runs (after one warm-up; each run
//! goes through the variants in a rotated order), and every variant's
//! table checked against the others' after each phase.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::PgConnection;
use diesel::{Connection, ExpressionMethods, QueryDsl, QueryableByName};
use diesel_async::AsyncPgConnection;
use hooks_diesel::hooks_core::Hosts;
use hooks_diesel::{Batch, Config, Hook, HookedConnection, Registry};
use hooks_diesel_async::{AsyncHookedConnection, Blocking};
use hooks_examples::models::Account;
use hooks_examples::schema::accounts;

use crate::native::BlockOn;
use crate::{Args, BoxError};

/// Chunk of the bulk operations and of the raw inserts and deletes.
const CHUNK: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Create,
    Update,
    Freeze,
    Delete,
}

impl Phase {
    const ALL: [Phase; 4] = [Phase::Create, Phase::Update, Phase::Freeze, Phase::Delete];

    fn name(self) -> &'static str {
        match self {
            Phase::Create => "bulk_create",
            Phase::Update => "bulk_update",
            Phase::Freeze => "queryset_update",
            Phase::Delete => "bulk_delete",
        }
    }
}

/// The variants, in the order printed.
const VARIANTS: [&str; 9] = [
    "sync_hooked",
    "async_hooked",
    "native_hooked",
    "sync_bare",
    "async_bare",
    "async_nohooks",
    "native_nohooks",
    "async_hooked_in_place",
    "async_nohooks_in_place",
];

/// How many records the hooks saw (all five hooks, summed): checked equal
/// across the hooked variants.
#[derive(Default)]
pub struct Seen(pub AtomicUsize);

/// The five hooks of the workload, written once for every connection.
pub fn workload_hooks<X: Hosts<Account>>(seen: &Arc<Seen>) -> Registry<X> {
    let counts: Vec<Arc<Seen>> = (0..5).map(|_| Arc::clone(seen)).collect();
    let [a, b, c, d, e]: [Arc<Seen>; 5] = counts.try_into().unwrap_or_else(|_| unreachable!());
    Registry::new()
        .with(Hook::before_create(
            move |_ctx, batch: &mut Batch<Account>| {
                a.0.fetch_add(batch.len(), Ordering::Relaxed);
                batch.reject_where(|n, _| n.balance < 0, |n| format!("{} is negative", n.owner));
                Ok(())
            },
        ))
        .with(Hook::after_create(move |_ctx, batch: &Batch<Account>| {
            b.0.fetch_add(batch.len(), Ordering::Relaxed);
            Ok(())
        }))
        .with(Hook::before_update(
            move |_ctx, batch: &mut Batch<Account>| {
                c.0.fetch_add(batch.len(), Ordering::Relaxed);
                let at = Some(now());
                batch.news_mut().for_each(|n| n.updated_at = at);
                Ok(())
            },
        ))
        .with(
            Hook::after_update(move |_ctx, batch: &Batch<Account>| {
                d.0.fetch_add(batch.len(), Ordering::Relaxed);
                Ok(())
            })
            .when(Account::BALANCE.changed()),
        )
        .with(Hook::after_delete(move |_ctx, batch: &Batch<Account>| {
            e.0.fetch_add(batch.len(), Ordering::Relaxed);
            Ok(())
        }))
}

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// The inputs of one run.
struct Workload {
    fresh: Vec<Account>,
    stored: Vec<Account>,
    updated: Vec<Account>,
}

impl Workload {
    fn new(n: usize) -> Self {
        let fresh: Vec<Account> = (1..=n as i64)
            .map(|i| {
                Account::new(
                    format!("o{i}"),
                    i,
                    if i % 2 == 1 { "active" } else { "idle" },
                )
            })
            .collect();
        let stored: Vec<Account> = fresh
            .iter()
            .zip(1..)
            .map(|(a, id)| Account { id, ..a.clone() })
            .collect();
        let mut updated = stored.clone();
        updated
            .iter_mut()
            .skip(1)
            .step_by(2)
            .for_each(|a| a.balance += 1);
        Workload {
            fresh,
            stored,
            updated,
        }
    }
}

/// A summary of the table.
#[derive(QueryableByName, Debug, PartialEq, Eq, Clone, Copy)]
struct Fingerprint {
    #[diesel(sql_type = BigInt)]
    rows: i64,
    #[diesel(sql_type = BigInt)]
    balance: i64,
    #[diesel(sql_type = BigInt)]
    frozen: i64,
    #[diesel(sql_type = BigInt)]
    stamped: i64,
}

fn fingerprint(admin: &mut PgConnection) -> Result<Fingerprint, BoxError> {
    use diesel::RunQueryDsl;
    Ok(diesel::sql_query(
        "SELECT COUNT(*) AS rows, COALESCE(SUM(balance), 0)::int8 AS balance, \
         COUNT(*) FILTER (WHERE status = 'frozen') AS frozen, COUNT(updated_at) AS stamped \
         FROM accounts",
    )
    .get_result(admin)?)
}

/// Empties the table, and fills it with the stored rows unless `phase` is
/// the create.
fn reset(admin: &mut PgConnection, w: &Workload, phase: Phase) -> Result<(), BoxError> {
    use diesel::RunQueryDsl;
    admin.batch_execute("TRUNCATE accounts RESTART IDENTITY")?;
    if phase != Phase::Create {
        admin.transaction(|c| {
            for part in w.fresh.chunks(CHUNK) {
                diesel::insert_into(accounts::table)
                    .values(part)
                    .execute(c)?;
            }
            diesel::QueryResult::Ok(())
        })?;
        admin.batch_execute("ANALYZE accounts")?;
    }
    Ok(())
}

/// The raw statements of a phase (what a careful Diesel user writes when
/// no hook needs the rows), for a sync and an async connection alike:
/// `$aw` is `.await` or nothing, `$tm` the transaction manager call.
macro_rules! raw_phase {
    ($conn:expr, $phase:expr, $w:expr, [$($aw:tt)*], $begin:expr, $commit:expr) => {{
        $begin;
        let conn = &mut *$conn;
        match $phase {
            Phase::Create => {
                for part in $w.fresh.chunks(CHUNK) {
                    diesel::insert_into(accounts::table).values(part).execute(&mut *conn)$($aw)*?;
                }
            }
            Phase::Update => {
                let at = Some(now());
                for a in $w.updated.iter().skip(1).step_by(2) {
                    diesel::update(accounts::table.find(a.id))
                        .set((accounts::balance.eq(a.balance), accounts::updated_at.eq(at)))
                        .execute(&mut *conn)$($aw)*?;
                }
            }
            Phase::Freeze => {
                diesel::update(accounts::table.filter(accounts::status.eq("active")))
                    .set((accounts::status.eq("frozen"), accounts::updated_at.eq(Some(now()))))
                    .execute(&mut *conn)$($aw)*?;
            }
            Phase::Delete => {
                for part in $w.stored.chunks(CHUNK) {
                    let keys: Vec<i64> = part.iter().map(|a| a.id).collect();
                    diesel::delete(accounts::table.filter(accounts::id.eq_any(keys)))
                        .execute(&mut *conn)$($aw)*?;
                }
            }
        }
        $commit;
    }};
}

/// The hooked operations of a phase, for a sync and an async connection.
macro_rules! hooked_phase {
    ($conn:expr, $phase:expr, $w:expr, [$($aw:tt)*]) => {{
        let conn = $conn;
        match $phase {
            Phase::Create => {
                conn.bulk_create($w.fresh.clone())$($aw)*?;
            }
            Phase::Update => {
                conn.bulk_update($w.updated.clone())$($aw)*?;
            }
            Phase::Freeze => {
                conn.update_where_count::<Account>(
                    accounts::status.eq("active"),
                    accounts::status.eq("frozen"),
                )$($aw)*?;
            }
            Phase::Delete => {
                conn.bulk_delete(&$w.stored[..])$($aw)*?;
            }
        }
    }};
}

/// The connections of every variant, kept across runs.
struct Conns {
    sync_hooked: HookedConnection<PgConnection>,
    async_hooked: AsyncHookedConnection<PgConnection>,
    native_hooked: HookedConnection<BlockOn>,
    sync_bare: PgConnection,
    async_bare: AsyncPgConnection,
    async_nohooks: AsyncHookedConnection<PgConnection>,
    native_nohooks: HookedConnection<BlockOn>,
    async_hooked_in_place: AsyncHookedConnection<PgConnection>,
    async_nohooks_in_place: AsyncHookedConnection<PgConnection>,
}

impl Conns {
    async fn open(url: &str, seen: &Arc<Seen>) -> Result<Self, BoxError> {
        use diesel_async::AsyncConnection;
        let config = Config::default().with_chunk_size(CHUNK);
        Ok(Conns {
            sync_hooked: HookedConnection::new(PgConnection::establish(url)?, workload_hooks(seen))
                .with_config(config.clone()),
            async_hooked: {
                let mut c = AsyncHookedConnection::connect(url, workload_hooks(seen)).await?;
                *c.config_mut().ok_or("lost")? = config.clone();
                c
            },
            native_hooked: HookedConnection::new(
                BlockOn::connect(url).await?,
                workload_hooks(seen),
            )
            .with_config(config.clone()),
            sync_bare: PgConnection::establish(url)?,
            async_bare: AsyncPgConnection::establish(url).await?,
            async_nohooks: AsyncHookedConnection::connect(url, Registry::new()).await?,
            native_nohooks: HookedConnection::new(BlockOn::connect(url).await?, Registry::new()),
            async_hooked_in_place: {
                let mut c = AsyncHookedConnection::connect(url, workload_hooks(seen))
                    .await?
                    .with_blocking(Blocking::InPlace);
                *c.config_mut().ok_or("lost")? = config.clone();
                c
            },
            async_nohooks_in_place: AsyncHookedConnection::connect(url, Registry::new())
                .await?
                .with_blocking(Blocking::InPlace),
        })
    }

    /// Runs `phase` as `variant`; returns the time it took.
    async fn run(
        &mut self,
        variant: &str,
        phase: Phase,
        w: &Workload,
    ) -> Result<Duration, BoxError> {
        use diesel::connection::TransactionManager as _;
        use diesel_async::TransactionManager as _;
        type SyncTm<C> = <C as Connection>::TransactionManager;
        type AsyncTm<C> = <C as diesel_async::AsyncConnection>::TransactionManager;
        let start = Instant::now();
        match variant {
            "sync_hooked" => tokio::task::block_in_place(|| -> Result<(), BoxError> {
                hooked_phase!(&mut self.sync_hooked, phase, w, []);
                Ok(())
            })?,
            "async_hooked" => hooked_phase!(&mut self.async_hooked, phase, w, [.await]),
            "async_hooked_in_place" => {
                hooked_phase!(&mut self.async_hooked_in_place, phase, w, [.await])
            }
            "async_nohooks_in_place" => {
                use diesel_async::RunQueryDsl;
                type C = AsyncHookedConnection<PgConnection>;
                let c = &mut self.async_nohooks_in_place;
                raw_phase!(c, phase, w, [.await],
                    AsyncTm::<C>::begin_transaction(c).await?,
                    AsyncTm::<C>::commit_transaction(c).await?);
            }
            "native_hooked" => tokio::task::block_in_place(|| -> Result<(), BoxError> {
                hooked_phase!(&mut self.native_hooked, phase, w, []);
                Ok(())
            })?,
            "sync_bare" => tokio::task::block_in_place(|| -> Result<(), BoxError> {
                use diesel::RunQueryDsl;
                let c = &mut self.sync_bare;
                raw_phase!(
                    c,
                    phase,
                    w,
                    [],
                    SyncTm::<PgConnection>::begin_transaction(c)?,
                    SyncTm::<PgConnection>::commit_transaction(c)?
                );
                Ok(())
            })?,
            "async_bare" => {
                use diesel_async::RunQueryDsl;
                let c = &mut self.async_bare;
                raw_phase!(c, phase, w, [.await],
                    AsyncTm::<AsyncPgConnection>::begin_transaction(c).await?,
                    AsyncTm::<AsyncPgConnection>::commit_transaction(c).await?);
            }
            "async_nohooks" => {
                use diesel_async::RunQueryDsl;
                type C = AsyncHookedConnection<PgConnection>;
                let c = &mut self.async_nohooks;
                raw_phase!(c, phase, w, [.await],
                    AsyncTm::<C>::begin_transaction(c).await?,
                    AsyncTm::<C>::commit_transaction(c).await?);
            }
            "native_nohooks" => tokio::task::block_in_place(|| -> Result<(), BoxError> {
                use diesel::RunQueryDsl;
                type C = HookedConnection<BlockOn>;
                let c = &mut self.native_nohooks;
                raw_phase!(
                    c,
                    phase,
                    w,
                    [],
                    SyncTm::<C>::begin_transaction(c)?,
                    SyncTm::<C>::commit_transaction(c)?
                );
                Ok(())
            })?,
            other => return Err(format!("no variant {other}").into()),
        }
        Ok(start.elapsed())
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs every phase as every variant; prints one line per phase and
/// variant, then the ratios the issue asks for.
pub async fn run(url: &str, args: Args) -> Result<(), BoxError> {
    let w = Workload::new(args.n);
    let seen = Arc::new(Seen::default());
    let mut conns = Conns::open(url, &seen).await?;
    let mut admin = PgConnection::establish(url)?;
    let mut totals = vec![Duration::ZERO; VARIANTS.len()];
    for phase in Phase::ALL {
        let mut expected = None;
        let mut times = vec![Vec::new(); VARIANTS.len()];
        // Run-major, each run in a rotated order, so that what the shared
        // machine does meanwhile falls on every variant alike.
        for run in 0..=args.repeat {
            for k in 0..VARIANTS.len() {
                let v = (k + run) % VARIANTS.len();
                let variant = VARIANTS[v];
                reset(&mut admin, &w, phase)?;
                seen.0.store(0, Ordering::Relaxed);
                let took = conns.run(variant, phase, &w).await?;
                let print = fingerprint(&mut admin)?;
                let hooks = seen.0.load(Ordering::Relaxed);
                // Timestamps aside, every variant leaves the same table.
                let key = (print.rows, print.balance, print.frozen, print.stamped > 0);
                match expected {
                    None => expected = Some(key),
                    Some(e) if e != key => {
                        return Err(format!(
                            "{} {variant}: table {print:?} differs from the first variant's",
                            phase.name()
                        )
                        .into())
                    }
                    Some(_) => {}
                }
                if variant.contains("_hooked") && hooks == 0 {
                    return Err(format!("{} {variant}: no hook ran", phase.name()).into());
                }
                if run > 0 {
                    times[v].push(took);
                }
            }
        }
        let medians: Vec<Duration> = times.into_iter().map(median).collect();
        for (v, m) in medians.iter().enumerate() {
            totals[v] += *m;
            println!(
                "phase={} variant={} n={} ms={:.1}",
                phase.name(),
                VARIANTS[v],
                args.n,
                ms(*m)
            );
        }
        print_ratios(phase.name(), &medians);
    }
    print_ratios("total", &totals);
    Ok(())
}

fn print_ratios(phase: &str, m: &[Duration]) {
    let r = |a: usize, b: usize| m[a].as_secs_f64() / m[b].as_secs_f64();
    println!(
        "ratios phase={phase} async_hooked/sync_hooked={:.2} native_hooked/sync_hooked={:.2} \
         async_nohooks/async_bare={:.2} native_nohooks/async_bare={:.2} sync_bare/async_bare={:.2} \
         in_place_hooked/sync_hooked={:.2} in_place_nohooks/async_bare={:.2} \
         async_nohooks/sync_bare={:.2} in_place_nohooks/sync_bare={:.2}",
        r(1, 0),
        r(2, 0),
        r(5, 4),
        r(6, 4),
        r(3, 4),
        r(7, 0),
        r(8, 4),
        r(5, 3),
        r(8, 3)
    );
}
