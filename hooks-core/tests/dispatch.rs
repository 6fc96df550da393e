//! Registry and priority dispatch.

mod common;

use std::marker::PhantomData;

use common::{Conn, Task};
use hooks_core::{
    nested, without_hooks, without_hooks_for, Batch, ChangeSet, DeferredCall, DispatchError, Event,
    Hook, HookError, HookModel, HookSet, Priority, Registry,
};

fn tasks(n: i64) -> Vec<Task> {
    (1..=n).map(|i| Task::new(i, &format!("t{i}"))).collect()
}

fn run(
    registry: &Registry<Conn>,
    conn: &mut Conn,
    event: Event,
    set: &mut ChangeSet<Task>,
) -> Result<Vec<DeferredCall<Conn>>, DispatchError> {
    let mut deferred = Vec::new();
    registry.dispatch(conn, event, 1, set, &mut |call| deferred.push(call))?;
    Ok(deferred)
}

fn logger(
    label: &'static str,
) -> impl Fn(&mut hooks_core::HookContext<'_, Conn>, &mut Batch<'_, Task>) -> hooks_core::HookResult
       + Send
       + Sync
       + 'static {
    move |ctx, batch| {
        let ids: Vec<String> = batch.news().map(|t| t.id.to_string()).collect();
        ctx.log.push(format!("{label}:{}", ids.join(",")));
        Ok(())
    }
}

#[test]
fn hooks_run_by_priority_then_registration_order() {
    let registry = Registry::new()
        .with(Hook::before_update(logger("normal-1")).named("n1"))
        .with(
            Hook::before_update(logger("low"))
                .named("low")
                .priority(Priority::LOW),
        )
        .with(
            Hook::before_update(logger("highest"))
                .named("top")
                .priority(Priority::HIGHEST),
        )
        .with(Hook::before_update(logger("normal-2")).named("n2"))
        .with(
            Hook::before_update(logger("custom-30"))
                .named("c30")
                .priority(30),
        )
        .with(
            Hook::before_create(logger("create"))
                .named("create")
                .priority(Priority::LOWEST),
        );
    let mut conn = Conn::default();
    let mut set = ChangeSet::updated(tasks(1), tasks(1));
    run(&registry, &mut conn, Event::BeforeUpdate, &mut set).unwrap();
    assert_eq!(
        conn.log,
        [
            "highest:1",
            "custom-30:1",
            "normal-1:1",
            "normal-2:1",
            "low:1"
        ]
    );
    assert_eq!(
        registry.names::<Task>(Event::BeforeUpdate),
        ["top", "c30", "n1", "n2", "low"]
    );
    conn.log.clear();
    let mut set = ChangeSet::created(tasks(2));
    run(&registry, &mut conn, Event::BeforeCreate, &mut set).unwrap();
    assert_eq!(conn.log, ["create:1,2"], "other events' hooks do not run");
}

#[test]
fn unnamed_hooks_are_never_merged_and_a_name_is_registered_once() {
    fn audit(
        ctx: &mut hooks_core::HookContext<'_, Conn>,
        _: &Batch<'_, Task>,
    ) -> hooks_core::HookResult {
        ctx.log.push("audit".into());
        Ok(())
    }
    let mut registry = Registry::new();
    registry.add(Hook::after_create(audit).named("audit"));
    let twice = registry.try_add(Hook::after_create(audit).named("audit"));
    assert_eq!(
        twice.map_err(|e| (e.name, e.event, e.model)),
        Err(("audit".to_string(), Event::AfterCreate, "Task")),
        "a name registered twice is an error"
    );
    registry.add(Hook::after_update(audit).named("audit"));
    // Two closures of one factory, different captures: two hooks (a
    // validation never disappears because another was registered).
    registry.add(Hook::before_create(logger("a")));
    registry.add(Hook::before_create(logger("b")));
    assert_eq!(registry.count::<Task>(Event::BeforeCreate), 2);
    // Replaced on purpose.
    registry.add(Hook::before_create(logger("x")).named("x"));
    registry.replace(Hook::before_create(logger("y")).named("x"));
    assert_eq!(registry.count::<Task>(Event::BeforeCreate), 3);
    let mut conn = Conn::default();
    run(
        &registry,
        &mut conn,
        Event::BeforeCreate,
        &mut ChangeSet::created(tasks(1)),
    )
    .unwrap();
    assert_eq!(conn.log, ["a:1", "b:1", "y:1"]);
}

#[test]
#[should_panic(expected = "a hook named `audit` is already registered")]
fn with_reports_a_name_registered_twice() {
    fn audit(
        ctx: &mut hooks_core::HookContext<'_, Conn>,
        _: &Batch<'_, Task>,
    ) -> hooks_core::HookResult {
        ctx.log.push("audit".into());
        Ok(())
    }
    let _ = Registry::<Conn>::new()
        .with(Hook::after_create(audit).named("audit"))
        .with(Hook::after_create(audit).named("audit"));
}

#[test]
fn hooks_get_only_records_passing_their_condition_or_are_skipped() {
    let registry = Registry::new()
        .with(
            Hook::after_update(
                |ctx: &mut hooks_core::HookContext<'_, Conn>, b: &Batch<Task>| {
                    ctx.log.push(format!(
                        "done:{:?}",
                        b.news().map(|t| t.id).collect::<Vec<_>>()
                    ));
                    Ok(())
                },
            )
            .when(Task::DONE.changes_to(true)),
        )
        .with(
            Hook::after_update(
                |ctx: &mut hooks_core::HookContext<'_, Conn>, _: &Batch<Task>| {
                    ctx.log.push("never".into());
                    Ok(())
                },
            )
            .when(Task::SCORE.gt(1000)),
        );
    let olds = tasks(4);
    let mut news = olds.clone();
    news[1].done = true;
    news[3].done = true;
    let mut conn = Conn::default();
    run(
        &registry,
        &mut conn,
        Event::AfterUpdate,
        &mut ChangeSet::updated(news, olds),
    )
    .unwrap();
    assert_eq!(conn.log, ["done:[2, 4]"]);
}

#[test]
fn a_hook_edit_makes_a_later_hooks_condition_pass() {
    let registry = Registry::new()
        .with(
            Hook::before_update(
                |_: &mut hooks_core::HookContext<'_, Conn>, b: &mut Batch<Task>| {
                    for t in b.news_mut() {
                        t.done = true;
                    }
                    Ok(())
                },
            )
            .priority(Priority::HIGH),
        )
        .with(Hook::before_update(logger("completed")).when(Task::DONE.changes_to(true)));
    let mut conn = Conn::default();
    let mut set = ChangeSet::updated(tasks(2), tasks(2));
    run(&registry, &mut conn, Event::BeforeUpdate, &mut set).unwrap();
    assert_eq!(conn.log, ["completed:1,2"]);
    assert!(set.news().iter().all(|t| t.done));
}

#[test]
fn an_error_stops_later_hooks_and_names_hook_event_model_and_records() {
    let registry = Registry::new()
        .with(
            Hook::before_create(
                |_: &mut hooks_core::HookContext<'_, Conn>, _: &mut Batch<Task>| {
                    Err(HookError::msg("mailer down"))
                },
            )
            .named("notify")
            .when(Task::TITLE.is("t2")),
        )
        .with(Hook::before_create(logger("later")).priority(Priority::LOW));
    let mut conn = Conn::default();
    let err = run(
        &registry,
        &mut conn,
        Event::BeforeCreate,
        &mut ChangeSet::created(tasks(3)),
    )
    .err()
    .expect("dispatch fails");
    assert!(conn.log.is_empty());
    let text = err.to_string();
    assert!(
        text.contains("notify") && text.contains("BEFORE_CREATE") && text.contains("Task"),
        "{text}"
    );
    assert!(text.contains("mailer down"), "{text}");
    match err {
        DispatchError::Hook { records, .. } => assert_eq!(records, ["2"]),
        other => panic!("{other}"),
    }
}

#[test]
fn rejections_of_a_batch_are_collected_together() {
    let registry = Registry::new()
        .with(
            Hook::before_create(
                |_: &mut hooks_core::HookContext<'_, Conn>, b: &mut Batch<Task>| {
                    b.reject(0, "first hook");
                    Ok(())
                },
            )
            .named("a"),
        )
        .with(
            Hook::before_create(
                |_: &mut hooks_core::HookContext<'_, Conn>, b: &mut Batch<Task>| {
                    b.reject_where(|t, _| t.id == 3, |t| format!("id {}", t.id));
                    Ok(())
                },
            )
            .named("b"),
        );
    let mut conn = Conn::default();
    let set = ChangeSet::created(vec![
        Task::new(0, "new"),
        Task::new(0, "x"),
        Task::new(3, "y"),
    ])
    .at_offset(10);
    let mut set = set;
    let err = run(&registry, &mut conn, Event::BeforeCreate, &mut set)
        .err()
        .expect("dispatch fails");
    match err {
        DispatchError::Rejected { rejections, .. } => {
            assert_eq!(rejections.len(), 2);
            assert_eq!(
                (rejections[0].position, rejections[0].key.as_deref()),
                (10, None)
            );
            assert_eq!(
                (rejections[1].position, rejections[1].key.as_deref()),
                (12, Some("3"))
            );
            assert_eq!(rejections[1].reason, "id 3");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn deferred_hooks_are_handed_over_with_their_records_not_run() {
    let registry = Registry::new().with(
        Hook::after_update(
            |ctx: &mut hooks_core::HookContext<'_, Conn>, b: &Batch<Task>| {
                ctx.log.push(format!("deferred:{}", b.len()));
                Ok(())
            },
        )
        .deferred()
        .when(Task::SCORE.changed()),
    );
    let olds = tasks(3);
    let mut news = olds.clone();
    news[0].score = 5;
    let mut conn = Conn::default();
    let mut set = ChangeSet::updated(news, olds);
    let deferred = run(&registry, &mut conn, Event::AfterUpdate, &mut set).unwrap();
    assert!(conn.log.is_empty());
    assert_eq!(deferred.len(), 1);
    // Later edits to the set do not reach the captured copy.
    set.news_mut()[0].score = 99;
    for call in deferred {
        call(&mut conn).unwrap();
    }
    assert_eq!(conn.log, ["deferred:1"]);
}

/// Models with a score.
trait Scored: HookModel {
    fn bump(&mut self);
}

impl Scored for Task {
    fn bump(&mut self) {
        self.score += 1;
    }
}

struct Bump<M>(PhantomData<M>);

impl<M: Scored> HookSet<Conn> for Bump<M> {
    fn register(self, registry: &mut Registry<Conn>) {
        registry.add(Hook::before_update(
            |_: &mut hooks_core::HookContext<'_, Conn>, b: &mut Batch<M>| {
                b.news_mut().for_each(Scored::bump);
                Ok(())
            },
        ));
    }
}

/// A handler with its own dependency, registering two hooks.
struct Notifier {
    channel: String,
}

impl HookSet<Conn> for Notifier {
    fn register(self, registry: &mut Registry<Conn>) {
        let created = self.channel.clone();
        registry.add(Hook::after_create(
            move |ctx: &mut hooks_core::HookContext<'_, Conn>, b: &Batch<Task>| {
                ctx.log.push(format!("{created}:created:{}", b.len()));
                Ok(())
            },
        ));
        let channel = self.channel;
        registry.add(Hook::after_delete(
            move |ctx: &mut hooks_core::HookContext<'_, Conn>, b: &Batch<Task>| {
                ctx.log.push(format!("{channel}:deleted:{}", b.len()));
                Ok(())
            },
        ));
    }
}

#[test]
fn hook_sets_generic_over_a_trait_and_handlers_with_dependencies() {
    let registry = Registry::new()
        .with_set(Bump::<Task>(PhantomData))
        .with_set(Notifier {
            channel: "ops".into(),
        });
    let mut conn = Conn::default();
    let mut set = ChangeSet::updated(tasks(2), tasks(2));
    run(&registry, &mut conn, Event::BeforeUpdate, &mut set).unwrap();
    assert!(set.news().iter().all(|t| t.score == 1));
    run(
        &registry,
        &mut conn,
        Event::AfterCreate,
        &mut ChangeSet::created(tasks(2)),
    )
    .unwrap();
    run(
        &registry,
        &mut conn,
        Event::AfterDelete,
        &mut ChangeSet::deleted(tasks(1)),
    )
    .unwrap();
    assert_eq!(conn.log, ["ops:created:2", "ops:deleted:1"]);
    assert_eq!(registry.tables(), ["tasks"]);
}

#[test]
fn delete_sets_show_the_row_as_old_and_new() {
    let set = ChangeSet::deleted(tasks(2));
    let (new, old) = set.pair(1);
    assert_eq!(old, Some(new));
}

#[test]
fn depth_is_limited_and_restored() {
    let mut conn = Conn::default();
    conn.scope.set_max_depth(2);
    let depths = nested::<Task, _, _>(&mut conn, |c, d1| {
        let d2 = nested::<Task, _, _>(c, |c, d2| {
            let third = nested::<Task, _, _>(c, |_, d3| d3);
            assert!(matches!(
                third,
                Err(DispatchError::DepthExceeded {
                    depth: 3,
                    limit: 2,
                    ..
                })
            ));
            d2
        });
        (d1, d2.unwrap())
    })
    .unwrap();
    assert_eq!(depths, (1, 2));
    assert_eq!(conn.scope.depth(), 0);
}

#[test]
fn a_depth_error_goes_through_hooks_as_itself_with_their_steps() {
    let registry = Registry::new().with(Hook::after_update(
        |ctx: &mut hooks_core::HookContext<'_, Conn>, _: &Batch<Task>| {
            ctx.scope.set_max_depth(1);
            nested::<Task, _, _>(ctx.conn(), |c, _| {
                nested::<Task, _, _>(c, |_, _| ()).map_err(HookError::from)
            })
            .map_err(HookError::from)??;
            Ok(())
        },
    ));
    let mut conn = Conn::default();
    let err = run(
        &registry,
        &mut conn,
        Event::AfterUpdate,
        &mut ChangeSet::updated(tasks(1), tasks(1)),
    )
    .err()
    .expect("too deep");
    match &err {
        DispatchError::DepthExceeded { depth, chain, .. } => {
            assert_eq!(*depth, 2);
            assert_eq!(chain, &["Task AFTER_UPDATE", "Task"]);
        }
        other => panic!("{other}"),
    }
    assert_eq!(err.to_string().matches("nested").count(), 1, "{err}");
}

#[test]
fn bypass_is_scoped_and_restored_after_a_panic() {
    let mut conn = Conn::default();
    without_hooks(&mut conn, |c| assert!(c.scope.is_bypassed::<Task>()));
    assert!(!conn.scope.is_bypassed::<Task>());
    without_hooks_for::<Task, _, _>(&mut conn, |c| {
        assert!(c.scope.is_bypassed::<Task>());
        assert!(!c.scope.is_bypassed::<String>());
    });
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        without_hooks(&mut conn, |_| panic!("boom"));
    }));
    assert!(panicked.is_err());
    assert!(
        !conn.scope.is_bypassed::<Task>(),
        "bypass restored after a panic"
    );
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = nested::<Task, _, _>(&mut conn, |_, _| panic!("deep boom"));
    }));
    assert!(panicked.is_err());
    assert_eq!(conn.scope.depth(), 0, "depth restored after a panic");
}
