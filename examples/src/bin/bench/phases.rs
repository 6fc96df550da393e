//! The four phases, the three variants, and the runner that measures them
//! on identical data, each run starting from the same table state.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use hooks_diesel::HookedConnection;
use hooks_examples::models::Account;

use crate::args::Args;
use crate::hooked::{self, HookCounts};
use crate::memory::thread_cpu_time;
use crate::report::{Line, Overhead, ServerTimes};
use crate::server_time::{ServerClock, FLUSH};
use crate::statements::{Ordinary, Statements, Style};
use crate::workload::{Fingerprint, Workload};
use crate::{diesel_writes, equivalent, raw, BoxError};

/// A phase of the workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    BulkCreate,
    BulkUpdate,
    QuerysetUpdate,
    BulkDelete,
}

impl Phase {
    pub const ALL: [Phase; 4] = [
        Phase::BulkCreate,
        Phase::BulkUpdate,
        Phase::QuerysetUpdate,
        Phase::BulkDelete,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::BulkCreate => "bulk_create",
            Phase::BulkUpdate => "bulk_update",
            Phase::QuerysetUpdate => "queryset_update",
            Phase::BulkDelete => "bulk_delete",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A way of running a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Hooked,
    /// Raw, Diesel's query builder.
    Raw,
    /// Raw, every statement prepared once.
    RawPrepared,
    /// Equivalent, Diesel's query builder and `sql_query`.
    Equivalent,
    /// Equivalent, every statement prepared once.
    EquivalentPrepared,
    /// Ordinary Diesel statements through the hooked connection.
    Diesel,
    /// `bulk_update` only: raw as a loop of one `UPDATE` per changed row,
    /// every statement prepared once (an extra column, not a baseline).
    RawLoop,
}

impl Variant {
    pub const ALL: [Variant; 7] = [
        Variant::Hooked,
        Variant::Raw,
        Variant::RawPrepared,
        Variant::Equivalent,
        Variant::EquivalentPrepared,
        Variant::Diesel,
        Variant::RawLoop,
    ];

    /// The variant's name in `--variants` and in the output's field names.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Hooked => "hooked",
            Variant::Raw => "raw",
            Variant::RawPrepared => "raw_prep",
            Variant::Equivalent => "equiv",
            Variant::EquivalentPrepared => "equiv_prep",
            Variant::Diesel => "diesel",
            Variant::RawLoop => "raw_loop",
        }
    }

    /// Whether the variant has a form of `phase` (the `diesel` variant has
    /// none of `bulk_update`, the raw loop only that one).
    fn has(self, phase: Phase) -> bool {
        match self {
            Variant::Diesel => phase != Phase::BulkUpdate,
            Variant::RawLoop => phase == Phase::BulkUpdate,
            _ => true,
        }
    }

    /// Runs without hooks (what the hook counts are not checked for).
    fn unhooked(self) -> bool {
        !matches!(self, Variant::Hooked | Variant::Diesel)
    }
}

/// One run of one variant.
struct Measured {
    elapsed: Duration,
    /// Server time, for the variants it is read for.
    server: Option<Duration>,
    /// CPU time of this thread (the client's own work).
    cpu: Duration,
    /// Statements sent, for the hooked variant.
    sent: Option<usize>,
}

/// What a phase gets, prepared before the clock starts.
pub enum Input<'a> {
    /// `bulk_create`: the new accounts.
    Create(Vec<Account>),
    /// `bulk_update`: every stored row, every second one changed; `changed`
    /// are the positions of the changed ones (the raw variants use them: the
    /// caller changed those records, so it knows them).
    Update {
        records: Vec<Account>,
        changed: &'a [usize],
    },
    /// `queryset_update`: active accounts become frozen.
    Freeze,
    /// `bulk_delete`: every stored row.
    Delete(&'a [Account]),
}

/// Runs every phase on the database at `url`, calling `report` with each
/// line as soon as it is measured; then, when every variant runs, measures
/// what a hooked connection costs tables without hooks.
pub fn run<C: Statements>(
    url: &str,
    args: &Args,
    clock: Option<Box<dyn ServerClock>>,
    report: &mut dyn FnMut(&Line),
) -> Result<Option<Overhead>, BoxError> {
    let Args {
        n, chunk, repeat, ..
    } = *args;
    let variants = args.variants.clone();
    let counts = Arc::new(HookCounts::default());
    let statements = Arc::new(AtomicUsize::new(0));
    let hooked = hooked::connect::<C>(url, chunk, &counts, &statements)?;
    let mut plain = C::establish(url)?;
    let fresh = Workload::fresh(n);
    plain.reset_table()?;
    raw::insert_all(&mut plain, &fresh, chunk, C::BIND_LIMIT, Style::Prepared)?;
    let stored = plain.load_all()?;
    let mut bench = Bench {
        plain,
        hooked,
        counts,
        statements,
        workload: Workload::new(fresh, stored),
        chunk,
        mark: std::env::var_os("BENCH_MARK").is_some(),
        clock,
    };
    for phase in Phase::ALL {
        report(&bench.measure(phase, repeat, &variants)?);
    }
    if variants.len() < Variant::ALL.len() {
        return Ok(None); // `--variants`: only what was asked for
    }
    bench.overhead(url, repeat).map(Some)
}

/// The two connections of one backend and the workload.
struct Bench<C: Statements> {
    /// For the raw and equivalent variants and for preparing the table.
    plain: C,
    /// For the hooked variant (its own connection, so that its statement
    /// cache and instrumentation are its own).
    hooked: HookedConnection<C>,
    counts: Arc<HookCounts>,
    statements: Arc<AtomicUsize>,
    workload: Workload,
    chunk: usize,
    /// Whether each measured run is announced to the server first
    /// (`BENCH_MARK` set): a `SELECT '<phase> <variant> <round>'` on the
    /// plain connection, to find the runs in a server's statement log.
    mark: bool,
    /// Server time of the bench's database (PostgreSQL), where readable.
    clock: Option<Box<dyn ServerClock>>,
}

impl<C: Statements> Bench<C> {
    /// Measures `phase` `repeat` times per variant of `variants` after one
    /// warm-up round, rotating the order of the variants, and reports the
    /// medians.
    fn measure(
        &mut self,
        phase: Phase,
        repeat: usize,
        variants: &[Variant],
    ) -> Result<Line, BoxError> {
        let mut times: [Vec<Duration>; Variant::ALL.len()] = Default::default();
        let mut hooked_cpu = Vec::new();
        let mut server: [Vec<Duration>; Variant::ALL.len()] = Default::default();
        let mut statements = 0;
        for round in 0..=repeat {
            let mut order = Variant::ALL;
            order.rotate_left(round % Variant::ALL.len());
            let runs = |v: &Variant| v.has(phase) && variants.contains(v);
            for variant in order.into_iter().filter(runs) {
                self.prepare(phase)?;
                if self.mark {
                    let mark = format!("SELECT 'bench {phase} {variant:?} {round}'");
                    self.plain.batch_execute(&mark)?;
                }
                let run = self.run_once(phase, variant)?;
                if round == 0 {
                    continue; // warm-up
                }
                if let Some(sent) = run.sent {
                    statements = sent;
                }
                if variant == Variant::Hooked {
                    hooked_cpu.push(run.cpu);
                }
                times[variant as usize].push(run.elapsed);
                server[variant as usize].extend(run.server);
            }
        }
        let mut server_median = |variant: Variant| {
            let times = std::mem::take(&mut server[variant as usize]);
            (!times.is_empty()).then(|| median(times))
        };
        let mut optional = |variant: Variant| {
            let times = std::mem::take(&mut times[variant as usize]);
            (!times.is_empty()).then(|| median(times))
        };
        Ok(Line {
            backend: C::NAME,
            phase,
            n: self.workload.n(),
            hooked: optional(Variant::Hooked).unwrap_or_default(),
            hooked_cpu: median(hooked_cpu),
            raw: optional(Variant::Raw),
            raw_prep: optional(Variant::RawPrepared),
            equiv: optional(Variant::Equivalent),
            equiv_prep: optional(Variant::EquivalentPrepared),
            statements,
            diesel: optional(Variant::Diesel),
            raw_loop: optional(Variant::RawLoop),
            server: ServerTimes {
                hooked: server_median(Variant::Hooked),
                raw_prep: server_median(Variant::RawPrepared),
                equiv_prep: server_median(Variant::EquivalentPrepared),
            },
        })
    }

    /// The raw variant's statements of every phase through the bare
    /// connection, a hooked one without hooks, and a hooked one with hooks
    /// on another table only; summed medians.
    fn overhead(&mut self, url: &str, repeat: usize) -> Result<Overhead, BoxError> {
        let mut empty = HookedConnection::new(C::establish(url)?, hooks_diesel::Registry::new());
        let mut other = HookedConnection::new(C::establish(url)?, C::other_table_hooks());
        let mut sums = [Duration::ZERO; 3];
        for phase in Phase::ALL {
            let mut times: [Vec<Duration>; 3] = Default::default();
            for round in 0..=repeat {
                for which in 0..3 {
                    let which = (which + round) % 3;
                    self.prepare(phase)?;
                    let input = input(&self.workload, phase);
                    let conn: &mut dyn Ordinary = match which {
                        0 => &mut self.plain,
                        1 => C::through(&mut empty),
                        _ => C::through(&mut other),
                    };
                    let started = Instant::now();
                    let done = raw::run(conn, input, self.chunk, C::BIND_LIMIT, Style::Dsl);
                    let elapsed = started.elapsed();
                    drop(done.map_err(|e| {
                        format!("{}: {phase} through connection {which}: {e}", C::NAME)
                    })?);
                    self.expect_table(
                        self.workload.after(phase),
                        &format!("{phase} (unhooked {which})"),
                    )?;
                    if round > 0 {
                        times[which].push(elapsed);
                    }
                }
            }
            for (sum, times) in sums.iter_mut().zip(times) {
                *sum += median(times);
            }
        }
        let [bare, empty_registry, other_table] = sums;
        Ok(Overhead {
            backend: C::NAME,
            n: self.workload.n(),
            bare,
            empty_registry,
            other_table,
        })
    }

    /// Brings the table to the state `phase` starts from: empty for
    /// `bulk_create`, the N created rows otherwise.
    fn prepare(&mut self, phase: Phase) -> Result<(), BoxError> {
        self.plain.reset_table()?;
        if phase != Phase::BulkCreate {
            raw::insert_all(
                &mut self.plain,
                &self.workload.fresh,
                self.chunk,
                C::BIND_LIMIT,
                Style::Prepared,
            )?;
            self.plain.after_seed()?;
            self.expect_table(self.workload.created(), "seeding")?;
        }
        Ok(())
    }

    /// Runs one variant of `phase`; returns its time and, for the hooked
    /// variant, the number of statements it sent.
    fn run_once(&mut self, phase: Phase, variant: Variant) -> Result<Measured, BoxError> {
        let server_before = self.server_time(variant, None)?;
        let input = input(&self.workload, phase);
        let (chunk, limit) = (self.chunk, C::BIND_LIMIT);
        self.counts.take();
        let sent_before = self.statements.load(Ordering::Relaxed);
        let cpu_before = thread_cpu_time();
        let started = Instant::now();
        let result = match variant {
            Variant::Hooked => hooked::run(&mut self.hooked, input),
            Variant::Raw => raw::run(&mut self.plain, input, chunk, limit, Style::Dsl),
            Variant::RawPrepared => raw::run(&mut self.plain, input, chunk, limit, Style::Prepared),
            Variant::Equivalent => equivalent::run(&mut self.plain, input, chunk, Style::Dsl),
            Variant::EquivalentPrepared => {
                equivalent::run(&mut self.plain, input, chunk, Style::Prepared)
            }
            Variant::Diesel => {
                diesel_writes::run(C::through(&mut self.hooked), input, chunk, limit)
                    .map(|_| Vec::new())
            }
            Variant::RawLoop => match input {
                Input::Update { records, changed } => {
                    raw::update_each(&mut self.plain, &records, changed, Style::Prepared)
                        .map(|()| records)
                }
                _ => Ok(Vec::new()),
            },
        };
        let elapsed = started.elapsed();
        let cpu = thread_cpu_time().saturating_sub(cpu_before);
        let sent = self.statements.load(Ordering::Relaxed) - sent_before;
        let what = format!("{phase} ({variant:?})");
        drop(result.map_err(|e| format!("{}: {what} failed: {e}", C::NAME))?);
        let server = match server_before {
            Some(before) => self.server_time(variant, Some(before))?,
            None => None,
        };
        self.expect_table(self.workload.after(phase), &what)?;
        let mut run = Measured {
            elapsed,
            server,
            cpu,
            sent: None,
        };
        if variant.unhooked() {
            return Ok(run);
        }
        let seen = self.counts.take();
        let expected = self.workload.hooks(phase);
        if seen != expected {
            return Err(format!(
                "{}: hooks of {what} saw the wrong number of records\n  expected {expected:?}\n  got      {seen:?}",
                C::NAME
            )
            .into());
        }
        if variant == Variant::Hooked {
            run.sent = Some(sent);
        }
        Ok(run)
    }

    /// The server clock around a run of `variant` (the hooked run and the
    /// primary baselines), `None` where there is none. Before the run
    /// (`before` `None`): both connections hand over their statistics and
    /// the clock is read. After it: the connection that ran hands over its
    /// statistics and the time since `before` is returned.
    fn server_time(
        &mut self,
        variant: Variant,
        before: Option<Duration>,
    ) -> Result<Option<Duration>, BoxError> {
        let timed = matches!(
            variant,
            Variant::Hooked | Variant::RawPrepared | Variant::EquivalentPrepared
        );
        let Some(clock) = self.clock.as_mut().filter(|_| timed) else {
            return Ok(None);
        };
        if before.is_none() || variant != Variant::Hooked {
            self.plain.batch_execute(FLUSH)?;
        }
        if before.is_none() || variant == Variant::Hooked {
            self.hooked.batch_execute(FLUSH)?;
        }
        let now = clock.read()?;
        Ok(Some(
            before.map_or(now, |before| now.saturating_sub(before)),
        ))
    }

    /// Fails unless the table matches `expected`.
    fn expect_table(&mut self, expected: Fingerprint, after: &str) -> Result<(), BoxError> {
        let found = self.plain.fingerprint()?;
        if found != expected {
            return Err(format!(
                "{}: wrong table after {after}\n  expected {expected:?}\n  found    {found:?}",
                C::NAME
            )
            .into());
        }
        Ok(())
    }
}

/// The input of `phase` (cloned records: the clock has not started yet).
fn input(workload: &Workload, phase: Phase) -> Input<'_> {
    match phase {
        Phase::BulkCreate => Input::Create(workload.fresh.clone()),
        Phase::BulkUpdate => Input::Update {
            records: workload.updated.clone(),
            changed: &workload.changed,
        },
        Phase::QuerysetUpdate => Input::Freeze,
        Phase::BulkDelete => Input::Delete(&workload.stored),
    }
}

/// The median of `times` (the mean of the middle two for an even count).
fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    let mid = times.len() / 2;
    match times.len() {
        0 => Duration::ZERO,
        len if len % 2 == 1 => times[mid],
        _ => (times[mid - 1] + times[mid]) / 2,
    }
}

#[cfg(test)]
mod tests {
    use super::median;
    use std::time::Duration;

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(median(vec![ms(9), ms(1), ms(5)]), ms(5));
        assert_eq!(median(vec![ms(4), ms(2)]), ms(3));
        assert_eq!(median(Vec::new()), Duration::ZERO);
    }
}
