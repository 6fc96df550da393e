//! The four phases, the three variants, and the runner that measures them
//! on identical data, each run starting from the same table state.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hooks_diesel::HookedConnection;
use hooks_examples::models::Account;

use crate::hooked::{self, HookCounts};
use crate::report::{Line, Overhead};
use crate::statements::{Ordinary, Statements};
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
    Raw,
    Equivalent,
    /// Ordinary Diesel statements through the hooked connection.
    Diesel,
}

impl Variant {
    const ALL: [Variant; 4] = [
        Variant::Hooked,
        Variant::Raw,
        Variant::Equivalent,
        Variant::Diesel,
    ];
}

/// What a phase gets, prepared before the clock starts.
pub enum Input<'a> {
    /// `bulk_create`: the new accounts.
    Create(Vec<Account>),
    /// `bulk_update`: every stored row, every second one changed; `changed`
    /// are the positions of the changed ones (only the raw loop uses them).
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
/// line as soon as it is measured; then measures what a hooked connection
/// costs tables without hooks.
pub fn run<C: Statements>(
    url: &str,
    n: usize,
    chunk: usize,
    repeat: usize,
    report: &mut dyn FnMut(&Line),
) -> Result<Overhead, BoxError> {
    let counts = Arc::new(HookCounts::default());
    let statements = Arc::new(AtomicUsize::new(0));
    let hooked = hooked::connect::<C>(url, chunk, &counts, &statements)?;
    let mut plain = C::establish(url)?;
    let fresh = Workload::fresh(n);
    plain.reset_table()?;
    raw::insert_all(&mut plain, &fresh, chunk, C::BIND_LIMIT)?;
    let stored = plain.load_all()?;
    let mut bench = Bench {
        plain,
        hooked,
        counts,
        statements,
        workload: Workload::new(fresh, stored),
        chunk,
    };
    for phase in Phase::ALL {
        report(&bench.measure(phase, repeat)?);
    }
    bench.overhead(url, repeat)
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
}

impl<C: Statements> Bench<C> {
    /// Measures `phase` `repeat` times per variant after one warm-up
    /// round, rotating the order of the variants, and reports the medians.
    fn measure(&mut self, phase: Phase, repeat: usize) -> Result<Line, BoxError> {
        let mut times: [Vec<Duration>; 4] = Default::default();
        let mut statements = 0;
        for round in 0..=repeat {
            let mut order = Variant::ALL;
            order.rotate_left(round % Variant::ALL.len());
            for variant in order {
                self.prepare(phase)?;
                let Some((elapsed, sent)) = self.run_once(phase, variant)? else {
                    continue;
                };
                if round == 0 {
                    continue; // warm-up
                }
                if let Some(sent) = sent {
                    statements = sent;
                }
                times[variant as usize].push(elapsed);
            }
        }
        let diesel = (!times[Variant::Diesel as usize].is_empty())
            .then(|| median(std::mem::take(&mut times[Variant::Diesel as usize])));
        let [hooked, raw, equiv, _] = times.map(median);
        Ok(Line {
            backend: C::NAME,
            phase,
            n: self.workload.n(),
            hooked,
            raw,
            equiv,
            statements,
            diesel,
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
                    let done = raw::run(conn, input, self.chunk, C::BIND_LIMIT);
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
            )?;
            self.plain.after_seed()?;
            self.expect_table(self.workload.created(), "seeding")?;
        }
        Ok(())
    }

    /// Runs one variant of `phase`; returns its time and, for the hooked
    /// variant, the number of statements it sent; `None` when the variant
    /// has no form of the phase.
    fn run_once(
        &mut self,
        phase: Phase,
        variant: Variant,
    ) -> Result<Option<(Duration, Option<usize>)>, BoxError> {
        let input = input(&self.workload, phase);
        self.counts.take();
        let sent_before = self.statements.load(Ordering::Relaxed);
        let started = Instant::now();
        let result = match variant {
            Variant::Hooked => hooked::run(&mut self.hooked, input),
            Variant::Raw => raw::run(&mut self.plain, input, self.chunk, C::BIND_LIMIT),
            Variant::Equivalent => equivalent::run(&mut self.plain, input, self.chunk),
            Variant::Diesel => {
                match diesel_writes::run(
                    C::through(&mut self.hooked),
                    input,
                    self.chunk,
                    C::BIND_LIMIT,
                ) {
                    Ok(true) => Ok(Vec::new()),
                    Ok(false) => return Ok(None),
                    Err(e) => Err(e),
                }
            }
        };
        let elapsed = started.elapsed();
        let what = format!("{phase} ({variant:?})");
        drop(result.map_err(|e| format!("{}: {what} failed: {e}", C::NAME))?);
        self.expect_table(self.workload.after(phase), &what)?;
        if variant == Variant::Raw || variant == Variant::Equivalent {
            return Ok(Some((elapsed, None)));
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
        let sent = self.statements.load(Ordering::Relaxed) - sent_before;
        Ok(Some((
            elapsed,
            (variant == Variant::Hooked).then_some(sent),
        )))
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
