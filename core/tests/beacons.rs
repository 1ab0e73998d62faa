//! The beacons' machines (`outbox`, `viewable`) driven as the shell drives
//! them: a page (the shell's side: its copy of the outbox, localStorage, one
//! timer, the send on its way, beacons) around `outbox::step`, and a watch
//! around `viewable::step`. First the outbox's behaviours one by one (what
//! the shell's unit tests asserted before the decisions moved here), then
//! property tests over random interleavings of events, sends, answers,
//! failures, lost answers, timers, hiding, leaving and coming back.

use proptest::prelude::*;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use vitrine_core::event::{Event, QueuePolicy};
use vitrine_core::outbox::{self, ANSWER, HEARD, HIDE, SHOW, TRACK, WAKE};
use vitrine_core::plan::{RS, US};
use vitrine_core::viewable::{self, VIEWABLE};

const A: &str = "https://a.example/v1/events";
const B: &str = "https://b.example/v1/events";
const SDK: &str = "1.2.3";

fn policy(batch_events: usize, batch_delay_ms: u64, max_kept: usize) -> QueuePolicy {
    QueuePolicy {
        batch_events,
        batch_delay_ms,
        max_kept,
        ..QueuePolicy::default()
    }
}

/// A batch as sent: its collector and its events.
type Batch = (String, Vec<Value>);

/// The shell around the outbox, for one page view at a time.
struct Page {
    policy: QueuePolicy,
    /// What `localStorage` keeps.
    stored: String,
    /// The shell's copy of the outbox, and the page view's state.
    outbox: String,
    view: String,
    now: u64,
    /// When the timer the last plan asked for fires.
    timer: Option<u64>,
    /// Every POST, and whether one is on its way (one at a time).
    posts: Vec<Batch>,
    on_its_way: bool,
    beacons: Vec<Batch>,
    /// The events the host heard (the plan's event).
    heard: Vec<Value>,
    /// Randomness handed in: a counter.
    draws: u64,
}

fn batch(record: &str) -> Batch {
    let (to, body) = record.split_once(US).expect("collector US body");
    let events: Vec<Value> = serde_json::from_str(body).expect("a JSON array");
    (to.to_string(), events)
}

fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

impl Page {
    /// A page view over what `localStorage` kept (its outbox, as the shell
    /// reads it at load), once a wasm build is here.
    fn open(policy: QueuePolicy, stored: &str, now: u64, draws: u64) -> Page {
        let mut page = Page {
            policy,
            stored: stored.to_string(),
            outbox: stored.to_string(),
            view: format!("{:032x}", 0xfeed_0000 + draws),
            now,
            timer: None,
            posts: Vec::new(),
            on_its_way: false,
            beacons: Vec::new(),
            heard: Vec::new(),
            draws: draws + 1,
        };
        page.step(WAKE, 0.0, "");
        page
    }

    fn random(&mut self) -> String {
        self.draws += 2;
        format!("{:032x}{:032x}", self.draws, self.draws + 1)
    }

    /// One step, carried out as `beacons.js` does.
    fn step(&mut self, input: u8, status: f64, observed: &str) -> String {
        let happened = outbox::Happened::from_shell(input, status, observed);
        let plan = outbox::step(
            &self.policy,
            &self.outbox,
            &self.view,
            happened,
            self.now,
            SDK,
        );
        let records: Vec<&str> = plan.split(RS).collect();
        assert!(records.len() >= 5, "a plan has its five records: {plan:?}");
        if !records[0].is_empty() {
            self.outbox = records[0].to_string();
            self.stored = records[0].to_string();
            let kept: Value =
                serde_json::from_str(&self.stored).expect("the outbox is kept as JSON");
            assert!(kept.is_array());
        }
        self.view = records[1].to_string();
        self.timer =
            (!records[2].is_empty()).then(|| self.now + records[2].parse::<u64>().unwrap());
        if !records[3].is_empty() {
            self.heard
                .push(serde_json::from_str(records[3]).expect("the event is JSON"));
        }
        if !records[4].is_empty() {
            assert!(!self.on_its_way, "one send on its way at a time");
            assert!(
                batch(records[4]).1.len() <= self.policy.batch_events,
                "at most a batch"
            );
            self.on_its_way = true;
            self.posts.push(batch(records[4]));
        }
        for record in &records[5..] {
            self.beacons.push(batch(record));
        }
        records[3].to_string()
    }

    /// What the shell observes of an event: randomness, then its parts as
    /// JSON (`fields`: an object's JSON, as the shell's `JSON.stringify`
    /// writes it).
    fn observed(&mut self, to: &str, kind: &str, fields: &str) -> String {
        let json = |s: &str| serde_json::to_string(s).unwrap();
        let random = self.random();
        [
            random,
            json(to),
            json(kind),
            json("my-blog"),
            json("https://blog.example/post/1"),
            fields.to_string(),
        ]
        .join(&US.to_string())
    }

    /// An event, with consent (`keep`) or not; the event the host heard.
    fn track(&mut self, to: &str, kind: &str, fields: Value, keep: bool) -> Value {
        let observed = self.observed(to, kind, &fields.to_string());
        let event = self.step(if keep { TRACK } else { HEARD }, 0.0, &observed);
        serde_json::from_str(&event).unwrap()
    }

    fn impression(&mut self, to: &str, n: u64) -> Value {
        self.track(
            to,
            "impression",
            serde_json::json!({"item": format!("itm_{n}"), "creator": "cr_1"}),
            true,
        )
    }

    /// The answer to the send on its way (`jitter`: the shell's draw).
    fn answer(&mut self, status: u16, jitter: f64) {
        assert!(self.on_its_way);
        self.on_its_way = false;
        self.step(ANSWER, f64::from(status) + jitter, "");
    }

    /// Time passes; the timer fires when it is due.
    fn wait(&mut self, ms: u64) {
        let end = self.now + ms;
        while let Some(at) = self.timer.filter(|&at| at <= end) {
            self.now = at;
            self.step(WAKE, 0.0, "");
        }
        self.now = end;
    }

    fn kept(&self) -> Vec<Value> {
        if self.stored.is_empty() {
            return Vec::new();
        }
        let kept: Vec<Value> = serde_json::from_str(&self.stored).unwrap();
        kept.into_iter()
            .map(|entry| entry["event"].clone())
            .collect()
    }

    fn kept_items(&self) -> Vec<String> {
        self.kept()
            .iter()
            .map(|e| {
                e["item"]
                    .as_str()
                    .unwrap_or(e["type"].as_str().unwrap())
                    .to_string()
            })
            .collect()
    }
}

fn items(batch: &Batch) -> (String, Vec<String>) {
    let names = batch
        .1
        .iter()
        .map(|e| e["item"].as_str().unwrap().to_string())
        .collect();
    (batch.0.clone(), names)
}

fn named(to: &str, names: &[u64]) -> (String, Vec<String>) {
    (
        to.to_string(),
        names.iter().map(|n| format!("itm_{n}")).collect(),
    )
}

/// `{"to": …, "event": …}` entries as the shell before this machine kept
/// them (`JSON.stringify` of its list: `to` first).
fn old_outbox(entries: &[(&str, Value)]) -> String {
    let list: Vec<String> = entries
        .iter()
        .map(|(to, event)| {
            format!(
                "{{\"to\":{},\"event\":{event}}}",
                serde_json::to_string(to).unwrap()
            )
        })
        .collect();
    format!("[{}]", list.join(","))
}

#[test]
fn an_event_is_built_by_the_core_and_kept_only_with_consent() {
    let mut page = Page::open(policy(20, 1000, 500), "", 1_700_000_000_000, 0);
    let heard = page.track(A, "impression", serde_json::json!({"item": "itm_a"}), false);
    assert_eq!(page.stored, "", "denied: kept nowhere");
    assert!(page.timer.is_none());
    let event = page.track(
        A,
        "impression",
        serde_json::json!({"item": "itm_a", "creator": "cr_1"}),
        true,
    );
    let kept = page.kept();
    assert_eq!(
        kept,
        vec![event.clone()],
        "the host hears the very event kept"
    );
    let id = event["id"].as_str().unwrap();
    let view = event["view"].as_str().unwrap();
    assert!(vitrine_core::field::is_hex_id(id) && vitrine_core::field::is_hex_id(view));
    assert_ne!(id, heard["id"], "a fresh id per event");
    assert_eq!(view, heard["view"], "one view id per page view");
    assert_eq!(event["ts"], 1_700_000_000_000u64);
    let mut rest = event.as_object().unwrap().clone();
    for key in ["id", "ts", "view"] {
        rest.remove(key);
    }
    assert_eq!(
        Value::Object(rest),
        serde_json::json!({"type": "impression", "placement": "my-blog", "page": "https://blog.example/post/1", "sdk": SDK, "item": "itm_a", "creator": "cr_1"})
    );
    assert!(
        Event::from_node(&event).is_ok(),
        "the collector's schema accepts it"
    );
    // The fields in the order the shell wrote them before.
    let fields = format!(
        "{{\"item\":\"itm_a\",\"creator\":\"cr_1\",\"click\":\"{}\"}}",
        "c".repeat(32)
    );
    let observed = page.observed(A, "click", &fields);
    let text = page.step(TRACK, 0.0, &observed);
    let keys = [
        "id",
        "type",
        "placement",
        "page",
        "ts",
        "sdk",
        "view",
        "item",
        "creator",
        "click",
    ];
    let mut at = 0;
    for key in keys {
        let found = text[at..]
            .find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} after {at} in {text}"));
        at += found + key.len();
    }
}

#[test]
fn a_batch_is_the_first_collectors_entries_in_order_at_most_a_batch() {
    let event = |n: u64| serde_json::json!({"id": format!("{n:032x}"), "type": "impression", "item": format!("itm_{n}")});
    let stored = old_outbox(&[(A, event(1)), (B, event(2)), (A, event(3)), (A, event(4))]);
    let mut page = Page::open(policy(2, 1000, 500), &stored, 0, 0);
    page.wait(1000);
    assert_eq!(
        page.posts.iter().map(items).collect::<Vec<_>>(),
        vec![named(A, &[1, 3])]
    );

    let stored = old_outbox(&[(B, event(2)), (A, event(3)), (A, event(4))]);
    let mut page = Page::open(policy(5, 1000, 500), &stored, 0, 0);
    page.wait(1000);
    assert_eq!(
        page.posts.iter().map(items).collect::<Vec<_>>(),
        vec![named(B, &[2])]
    );

    let mut page = Page::open(policy(5, 1000, 500), "[]", 0, 0);
    page.wait(60_000);
    assert!(page.posts.is_empty());
}

#[test]
fn a_full_outbox_drops_its_oldest_events_and_says_how_many_went_making_room_for_saying_so() {
    let mut page = Page::open(policy(100, 60_000, 5), "", 0, 0);
    for n in 1..=6 {
        page.impression(A, n);
    }
    let kept = page.kept();
    assert_eq!(kept.len(), 5);
    assert_eq!(page.kept_items()[..4], ["itm_3", "itm_4", "itm_5", "itm_6"]);
    assert_eq!(kept[4]["type"], "queue_overflow");
    assert_eq!(kept[4]["count"], 2);
    assert_eq!(kept[4]["placement"], "my-blog");
    assert!(Event::from_node(&kept[4]).is_ok());
    // Full again: the oldest go, a report among them passing its count on.
    for n in 7..=9 {
        page.impression(A, n);
    }
    let kept = page.kept();
    assert_eq!(kept.len(), 5);
    let reported: u64 = kept.iter().filter_map(|e| e["count"].as_u64()).sum();
    let shown: HashSet<String> = page.kept_items().into_iter().collect();
    let dropped = (1..=9)
        .filter(|n| !shown.contains(&format!("itm_{n}")))
        .count() as u64;
    assert_eq!(reported, dropped, "every dropped event is counted, once");
}

#[test]
fn a_batchs_worth_goes_at_once_to_the_first_entrys_collector_accepted_events_are_forgotten() {
    let mut page = Page::open(policy(3, 1000, 500), "", 0, 0);
    page.impression(A, 1);
    page.impression(B, 2);
    assert!(page.posts.is_empty(), "under a batch: waiting");
    page.impression(A, 3);
    page.impression(A, 4);
    assert_eq!(
        page.posts.len(),
        1,
        "a batch: sent at once, and one POST at a time"
    );
    assert_eq!(items(&page.posts[0]), named(A, &[1, 3]));
    page.answer(202, 0.5);
    assert_eq!(
        page.kept_items(),
        ["itm_2", "itm_4"],
        "accepted: exactly those forgotten"
    );
    // The rest are under a batch: they wait the batch delay, one collector at a time.
    page.wait(999);
    assert_eq!(page.posts.len(), 1);
    page.wait(1);
    assert_eq!(items(&page.posts[1]), named(B, &[2]));
    page.answer(202, 0.5);
    page.wait(1000);
    assert_eq!(items(&page.posts[2]), named(A, &[4]));
    page.answer(202, 0.5);
    assert!(page.kept().is_empty());
    assert_eq!(page.stored, "[]");
    assert!(page.timer.is_none());
}

#[test]
fn a_refused_or_failed_send_is_retried_after_the_cores_wait_counting_attempts_until_one_is_accepted(
) {
    let mut page = Page::open(policy(1, 1000, 500), "", 0, 0);
    page.impression(A, 1);
    page.answer(503, 0.5);
    // The policy's backoff: half of 1 s, and half of the other half (the jitter).
    assert_eq!(page.timer, Some(750));
    page.wait(749);
    assert_eq!(page.posts.len(), 1);
    page.wait(1);
    assert_eq!(page.posts.len(), 2);
    page.answer(0, 0.0); // the network is down: the second attempt waits twice as long
    assert_eq!(page.timer, Some(750 + 1000));
    page.wait(1000);
    page.answer(202, 0.5);
    assert_eq!(
        page.posts.iter().map(items).collect::<Vec<_>>(),
        vec![named(A, &[1]); 3],
        "the same batch each time"
    );
    assert!(page.kept().is_empty());
    // Attempts start over after an accepted batch; a refusal for good forgets too.
    page.impression(A, 2);
    page.answer(400, 0.5);
    assert!(page.kept().is_empty());
    page.impression(A, 3);
    page.answer(503, 0.0);
    assert_eq!(
        page.timer,
        Some(page.now + 500),
        "the first attempt's backoff again"
    );
}

#[test]
fn what_a_previous_page_view_left_in_the_outbox_goes_out_once_a_wasm_build_is_here() {
    // As the shell kept it before this machine: any event, as it was written.
    let event = |id: &str| serde_json::json!({"id": id, "type": "impression", "n": 1});
    let stored = old_outbox(&[(A, event("e1")), (A, event("e2"))]);
    let mut page = Page::open(policy(5, 300, 500), &stored, 0, 0);
    assert_eq!(page.timer, Some(300));
    page.wait(300);
    assert_eq!(page.posts.len(), 1);
    assert_eq!(ids(&page.posts[0].1), ["e1", "e2"]);
    assert_eq!(
        page.posts[0].1[0],
        event("e1"),
        "sent exactly as it was kept"
    );
    page.answer(202, 0.5);
    assert_eq!(page.stored, "[]");
}

#[test]
fn an_outbox_that_is_not_a_list_or_not_json_is_read_as_empty() {
    for left in ["{\"to\":\"x\"}", "not json", "[{\"to\":1}]", "[1,2]"] {
        let mut page = Page::open(policy(20, 1000, 500), left, 0, 0);
        page.impression(A, 1);
        assert_eq!(page.kept_items(), ["itm_1"], "{left}");
    }
}

#[test]
fn leaving_the_page_beacons_every_event_not_yet_beaconed_by_collector_and_in_batches_and_keeps_them(
) {
    let mut page = Page::open(policy(2, 1000, 500), "", 0, 0);
    for (to, n) in [(A, 1), (B, 2), (A, 3), (A, 4), (A, 5)] {
        page.impression(to, n);
    }
    assert_eq!(page.posts.len(), 1, "the first POST never comes back");
    page.step(HIDE, 0.0, "");
    assert_eq!(
        page.beacons
            .drain(..)
            .map(|b| items(&b))
            .collect::<Vec<_>>(),
        vec![named(A, &[1, 3]), named(A, &[4, 5]), named(B, &[2])]
    );
    page.step(HIDE, 0.0, "");
    assert!(
        page.beacons.is_empty(),
        "pagehide and visibilitychange both come on leaving: one beacon each"
    );
    assert_eq!(page.kept().len(), 5, "beaconed events stay in the outbox");
    // Back on the page, then hidden again: everything still unacknowledged goes again.
    page.step(SHOW, 0.0, "");
    page.track(
        B,
        "click",
        serde_json::json!({"item": "itm_6", "creator": "cr_1", "click": "0".repeat(32)}),
        true,
    );
    page.step(HIDE, 0.0, "");
    assert_eq!(
        page.beacons
            .drain(..)
            .map(|b| items(&b))
            .collect::<Vec<_>>(),
        vec![named(A, &[1, 3]), named(A, &[4, 5]), named(B, &[2, 6])]
    );
}

#[test]
fn an_answer_with_no_send_on_its_way_changes_nothing() {
    let mut page = Page::open(policy(5, 1000, 500), "", 0, 0);
    page.impression(A, 1);
    let (outbox, view) = (page.outbox.clone(), page.view.clone());
    page.step(ANSWER, 202.5, "");
    assert_eq!((page.outbox.clone(), page.view.clone()), (outbox, view));
}

// Property tests: random interleavings.

#[derive(Clone, Debug)]
enum Op {
    /// An event for collector A or B, with consent or not.
    Track {
        to_b: bool,
        keep: bool,
        click: bool,
    },
    /// Time passes; the timer fires when due, on time.
    Wait(u64),
    /// The send on its way is answered: accepted, refused, failed, or
    /// stored by the collector with its answer lost (a restart).
    Answer(Outcome, u8),
    /// The page is hidden (beacons, which may be lost on the way) or shown.
    Hide {
        delivered: bool,
    },
    Show,
    /// The reader leaves (the send on its way and its answer are lost, as
    /// when it times out with the page), then comes back: a new page view
    /// over what `localStorage` kept.
    Reload {
        delivered: bool,
    },
}

#[derive(Clone, Copy, Debug)]
enum Outcome {
    Accepted,
    Refused,
    ServerError,
    NetworkDown,
    StoredButLost,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(to_b, keep, click)| Op::Track { to_b, keep: keep || click, click }),
        4 => (0u64..3000).prop_map(Op::Wait),
        4 => (prop_oneof![
            4 => Just(Outcome::Accepted),
            1 => Just(Outcome::Refused),
            2 => Just(Outcome::ServerError),
            2 => Just(Outcome::NetworkDown),
            1 => Just(Outcome::StoredButLost),
        ], any::<u8>()).prop_map(|(o, j)| Op::Answer(o, j)),
        1 => any::<bool>().prop_map(|delivered| Op::Hide { delivered }),
        1 => Just(Op::Show),
        1 => any::<bool>().prop_map(|delivered| Op::Reload { delivered }),
    ]
}

/// What the collector holds (each event once, by id), what it answered,
/// and what the outboxes did.
#[derive(Default)]
struct World {
    collector: HashMap<String, Value>,
    /// How many times an event was in a batch the collector acknowledged
    /// (2xx) or refused for good (4xx) — and the outbox heard it.
    acknowledged: HashMap<String, u32>,
    refused: HashSet<String>,
    /// Events the outbox dropped at the cap (its overflow reports count
    /// them); events kept (with consent), and heard only (without).
    dropped: HashSet<String>,
    kept: HashMap<String, Value>,
    heard_only: HashSet<String>,
}

fn kept_ids(page: &Page) -> HashSet<String> {
    ids(&page.kept()).into_iter().collect()
}

impl World {
    fn deliver(&mut self, events: &[Value]) {
        for e in events {
            assert!(
                Event::from_node(e).is_ok(),
                "the collector's schema accepts every event sent: {e}"
            );
            self.collector
                .entry(e["id"].as_str().unwrap().to_string())
                .or_insert_with(|| e.clone());
        }
    }

    /// Runs `step` on `page`: what it forgets without an answer, it
    /// dropped (and an overflow report must count it).
    fn watch(&mut self, page: &mut Page, step: impl FnOnce(&mut Page)) {
        let before = kept_ids(page);
        step(page);
        let after = kept_ids(page);
        for gone in before.difference(&after) {
            assert!(self.dropped.insert(gone.clone()), "dropped twice: {gone}");
        }
        // An overflow report the step wrote is kept too.
        for e in page.kept() {
            self.kept
                .entry(e["id"].as_str().unwrap().to_string())
                .or_insert(e);
        }
    }
}

fn run(policy: QueuePolicy, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut world = World::default();
    let mut views = 0;
    let mut page = Page::open(policy, "", 1_000_000, 0);
    let leave = |world: &mut World, page: &mut Page, delivered: bool| {
        let from = page.beacons.len();
        world.watch(page, |page| {
            page.step(HIDE, 0.0, "");
        });
        if delivered {
            let sent: Vec<Value> = page.beacons[from..]
                .iter()
                .flat_map(|b| b.1.clone())
                .collect();
            world.deliver(&sent);
        }
    };
    // The collector answers the send on its way.
    let answer = |world: &mut World,
                  page: &mut Page,
                  status: u16,
                  stored: bool,
                  jitter: f64|
     -> Result<(), TestCaseError> {
        let batch: HashSet<String> = ids(&page.posts.last().unwrap().1).into_iter().collect();
        if stored {
            let events = page.posts.last().unwrap().1.clone();
            world.deliver(&events);
        }
        let before = kept_ids(page);
        page.answer(status, jitter);
        let after = kept_ids(page);
        let forgotten: HashSet<String> = before.difference(&after).cloned().collect();
        match status / 100 {
            // Accepted or refused for good: exactly that batch is forgotten.
            2 | 4 => {
                prop_assert_eq!(&forgotten, &batch);
                for id in batch {
                    if status / 100 == 2 {
                        *world.acknowledged.entry(id).or_default() += 1;
                    } else {
                        world.refused.insert(id);
                    }
                }
            }
            // Failed: nothing is forgotten.
            _ => prop_assert!(
                forgotten.is_empty(),
                "forgotten on a failure: {forgotten:?}"
            ),
        }
        Ok(())
    };
    for op in ops {
        match *op {
            Op::Track { to_b, keep, click } => {
                let fields = if click {
                    serde_json::json!({"item": "itm_1", "creator": "cr_1", "click": "ab".repeat(16)})
                } else {
                    serde_json::json!({"item": "itm_1", "creator": "cr_1"})
                };
                let mut event = Value::Null;
                world.watch(&mut page, |page| {
                    event = page.track(
                        if to_b { B } else { A },
                        if click { "click" } else { "impression" },
                        fields,
                        keep,
                    );
                });
                let id = event["id"].as_str().unwrap().to_string();
                if keep {
                    // Kept, even if the cap dropped it at once.
                    if !kept_ids(&page).contains(&id) {
                        world.dropped.insert(id.clone());
                    }
                    world.kept.insert(id, event);
                } else {
                    prop_assert!(!kept_ids(&page).contains(&id), "kept without consent");
                    world.heard_only.insert(id);
                }
            }
            Op::Wait(ms) => world.watch(&mut page, |page| page.wait(ms)),
            Op::Answer(outcome, jitter) if page.on_its_way => {
                let (status, stored) = match outcome {
                    Outcome::Accepted => (202, true),
                    Outcome::Refused => (400, false),
                    Outcome::ServerError => (503, false),
                    Outcome::NetworkDown => (0, false),
                    Outcome::StoredButLost => (0, true),
                };
                answer(
                    &mut world,
                    &mut page,
                    status,
                    stored,
                    f64::from(jitter) / 256.0,
                )?;
            }
            Op::Answer(..) => {}
            Op::Hide { delivered } => leave(&mut world, &mut page, delivered),
            Op::Show => world.watch(&mut page, |page| {
                page.step(SHOW, 0.0, "");
            }),
            Op::Reload { delivered } => {
                leave(&mut world, &mut page, delivered);
                // The send on its way, if any, may have been stored; its
                // answer is lost with the page (it timed out).
                if page.on_its_way && delivered {
                    let events = page.posts.last().unwrap().1.clone();
                    world.deliver(&events);
                }
                views += 1;
                let (stored, now, draws) =
                    (page.stored.clone(), page.now + 5_000, page.draws + 1_000);
                world.watch(&mut page, |page| {
                    *page = Page::open(policy, &stored, now, draws)
                });
            }
        }
    }
    // The reader comes back online, and stays until everything is answered.
    for _ in 0..10_000 {
        if page.on_its_way {
            answer(&mut world, &mut page, 202, true, 0.5)?;
        } else if page.timer.is_some() {
            world.watch(&mut page, |page| page.wait(60_000));
        } else {
            break;
        }
    }
    prop_assert!(
        page.kept().is_empty(),
        "everything went ({views} page views): {:?}",
        page.kept_items()
    );

    // Every event kept is acknowledged exactly once (or refused for good),
    // or dropped at the cap and counted, never both, never twice.
    for (id, event) in &world.kept {
        let acknowledged = world.acknowledged.get(id).copied().unwrap_or(0);
        let refused = world.refused.contains(id);
        let dropped = world.dropped.contains(id);
        prop_assert!(acknowledged <= 1, "{id} acknowledged {acknowledged} times");
        prop_assert_eq!(
            u32::from(dropped) + acknowledged + u32::from(refused),
            1,
            "{}: acknowledged {}, refused {}, dropped {}: {}",
            id,
            acknowledged,
            refused,
            dropped,
            event
        );
        if acknowledged == 1 {
            prop_assert!(world.collector.contains_key(id));
        }
    }
    for id in world.acknowledged.keys().chain(world.dropped.iter()) {
        prop_assert!(world.kept.contains_key(id), "{id} was never kept");
    }
    for id in &world.heard_only {
        prop_assert!(
            !world.collector.contains_key(id),
            "{id} was sent without consent"
        );
    }
    // The reports the collector answered count exactly the events dropped.
    let counted: u64 = world
        .kept
        .iter()
        .filter(|(id, _)| world.acknowledged.contains_key(*id) || world.refused.contains(*id))
        .filter_map(|(_, e)| e["count"].as_u64())
        .sum();
    let dropped_events = world
        .dropped
        .iter()
        .filter(|id| world.kept[*id]["type"] != "queue_overflow")
        .count() as u64;
    prop_assert_eq!(counted, dropped_events);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// Over any interleaving, with a small cap (so that it overflows) and
    /// small batches: every event kept is acknowledged exactly once or
    /// counted in an overflow report, never both, never twice.
    #[test]
    fn every_event_is_acknowledged_once_or_counted_as_dropped(
        batch_events in 1usize..5,
        max_kept in 2usize..9,
        ops in proptest::collection::vec(op(), 1..80),
    ) {
        run(policy(batch_events, 1000, max_kept), &ops)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The same with the SDK's own policy (no overflow in so few events).
    #[test]
    fn with_the_sdks_policy_too(ops in proptest::collection::vec(op(), 1..80)) {
        run(QueuePolicy::default(), &ops)?;
    }
}

// Viewability.

#[derive(Clone, Debug)]
enum Seen {
    /// The browser computed an intersection (`ratio`, in hundredths), `dt`
    /// ms after the last input.
    Intersection(u8, u16),
    /// The tab became visible or hidden.
    Visibility(bool, u16),
    /// Time passes; the watch's timer fires at its time (on time) or later.
    Wait(u16, bool),
    /// The page hides or is left (`settleAll`), with the tab as it is.
    Settle(u16),
}

fn seen() -> impl Strategy<Value = Seen> {
    prop_oneof![
        (0u8..=100, 0u16..1500).prop_map(|(r, dt)| Seen::Intersection(r, dt)),
        (any::<bool>(), 0u16..1500).prop_map(|(v, dt)| Seen::Visibility(v, dt)),
        (0u16..2500, any::<bool>()).prop_map(|(dt, late)| Seen::Wait(dt, late)),
        (0u16..1500).prop_map(Seen::Settle),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The watch becomes viewable exactly at the first input that comes a
    /// second or more into a continuous run of at least half in view in a
    /// visible tab (the input that ends the run included), and only once:
    /// never without such a second.
    #[test]
    fn viewable_exactly_after_one_continuous_second_in_view_in_a_visible_tab(
        visible_at_first in any::<bool>(),
        inputs in proptest::collection::vec(seen(), 1..60),
    ) {
        let mut state = f64::NAN;
        let mut now = 10_000.0;
        let (mut in_view, mut visible) = (false, visible_at_first);
        // Since when half or more has been in view in a visible tab.
        let mut run: Option<f64> = None;
        let mut fired = false;
        let step = |state: &mut f64, time: f64, visible: bool, ratio: f64, run: Option<f64>, ends: bool| {
            let before = *state;
            *state = viewable::step(*state, time, visible, ratio);
            let due = run.is_some_and(|start| time >= start + 1000.0);
            if before == VIEWABLE {
                assert_eq!(*state, VIEWABLE, "once viewable, it stays so");
                return false;
            }
            assert_eq!(*state == VIEWABLE, due, "at {time}: run {run:?} (ends here: {ends}), state {before} -> {}", *state);
            *state == VIEWABLE
        };
        for input in &inputs {
            match *input {
                Seen::Intersection(ratio, dt) => {
                    now += f64::from(dt);
                    let ratio = f64::from(ratio) / 100.0;
                    let ends = ratio < 0.5;
                    if step(&mut state, now, visible, ratio, run, ends) { fired = true; }
                    in_view = !ends;
                }
                Seen::Visibility(v, dt) => {
                    now += f64::from(dt);
                    visible = v;
                    if step(&mut state, now, visible, -1.0, run, !v) { fired = true; }
                }
                Seen::Settle(dt) => {
                    now += f64::from(dt);
                    if step(&mut state, now, visible, -1.0, run, false) { fired = true; }
                }
                Seen::Wait(dt, late) => {
                    let end = now + f64::from(dt);
                    if state >= 0.0 && state <= end {
                        let at = if late { end } else { state };
                        prop_assert!(at >= now);
                        if step(&mut state, at, visible, -1.0, run, false) { fired = true; }
                    }
                    now = end;
                }
            }
            // The run as the inputs so far define it.
            run = match (in_view && visible, run) {
                (true, Some(start)) => Some(start),
                (true, None) => Some(now),
                (false, _) => None,
            };
            if state >= 0.0 {
                prop_assert_eq!(Some(state), run.map(|start| start + 1000.0), "the timer is for a second into the run");
            }
            prop_assert_eq!(fired, state == VIEWABLE);
        }
    }
}
