//! The SDK's outbox of attribution events, as a state machine: each event
//! built, what is kept, what goes in which batch and when, what a send's
//! answer does, what goes by `sendBeacon` as the page hides, and what the
//! offline cap drops (and reports). The shell (`pkg-template/beacons.js`)
//! feeds [`step`] what happened, with its clock and fresh randomness, and
//! carries out the answer: a plan, as a render is. The numbers are
//! [`QueuePolicy`]'s; the events are [`write_event`]'s.
//!
//! **State** is two texts the shell holds and hands back:
//! - the outbox, as kept in `localStorage`: the JSON array of its entries,
//!   oldest first, each `{"to": collector, "event": {…}}` as
//!   `JSON.stringify` writes it: the very format the shell kept before this
//!   machine, so an outbox left from then goes out too (anything else reads
//!   as empty). Each event is kept and sent exactly as it was written.
//! - this page view's state of it: the page view's id (32 hex digits: all
//!   of it, at first, the shell's randomness), then `failed attempts,when
//!   the next batch is due,flags` (ms since the epoch, `0` for none; a flag
//!   digit per entry: `1` on its way, `2` beaconed since the page was last
//!   shown).
//!
//! **An event** comes as what the shell observed, fields separated by
//! [`US`]: 64 random hex digits (its id, then an overflow report's), then
//! as JSON (the shell's `JSON.stringify`, so the core escapes nothing) its
//! collector, type, placement and page (strings) and its other fields (an
//! object).
//!
//! **The plan**, records separated by [`RS`]:
//! 0. the outbox's new text, or empty when it did not change (nothing to
//!    write to `localStorage`);
//! 1. the page view's new state;
//! 2. in how many ms to call back with [`WAKE`] (replacing any earlier
//!    timer), or empty for no timer;
//! 3. the event built (its JSON, for the host page), or empty;
//! 4. a batch to `POST`: `collector` [`US`] `body`, or empty (one send is
//!    on its way at a time: the next comes after its [`ANSWER`]);
//! 5. and on: each beacon, `collector` [`US`] `body`.
//!
//! **Guarantees** (the property tests below): a kept event is forgotten
//! only when the collector answered a send that carried it, once; or the
//! offline cap drops it and a `queue_overflow` report counts it, never
//! both. A report the cap drops passes its count on to the next, so the
//! reports' counts add up to the events dropped. A beacon is never
//! acknowledged: a beaconed event stays until a send of it is answered (the
//! collector counts an event id once).

use crate::event::{write_event, Observed, QueuePolicy, SendOutcome, Stamp};
use crate::locale::push_decimal;
use crate::plan::{RS, US};
use alloc::string::String;
use alloc::vec::Vec;

/// The timer the last plan asked for fired; also how a page view starts
/// (with the outbox as kept and an empty view).
pub const WAKE: u8 = 0;
/// An event the host page hears but that is not sent (no consent): built
/// only.
pub const HEARD: u8 = 1;
/// An event to send: built and kept.
pub const TRACK: u8 = 2;
/// The answer to the send on its way: its HTTP status (`0`: none, the
/// network failed).
pub const ANSWER: u8 = 3;
/// The page is hidden or left: beacon what is not beaconed since it was
/// last shown.
pub const HIDE: u8 = 4;
/// The page is shown again: beacon everything again next time it hides.
pub const SHOW: u8 = 5;

/// What happened, as the shell saw it.
pub enum Happened<'a> {
    /// The timer fired (or a page view starts).
    Wake,
    /// An event, as the shell `observed` it (see the module's docs); kept
    /// only with consent (`keep`).
    Event {
        /// What the shell observed.
        observed: &'a str,
        /// Whether to keep and send it.
        keep: bool,
    },
    /// The answer to the send on its way: its HTTP status (`0` for none),
    /// and a random draw in `[0, 1)` for its backoff's jitter.
    Answer(u16, f64),
    /// The page is hidden or left.
    Hide,
    /// The page is shown again.
    Show,
}

impl<'a> Happened<'a> {
    /// `input` (one of [`WAKE`], [`HEARD`], …) as the shell passes it, with
    /// [`ANSWER`]'s `status` (plus, as its fraction, the shell's random draw
    /// for the jitter) and an event's `observed` text.
    pub fn from_shell(input: u8, status: f64, observed: &'a str) -> Self {
        match input {
            HEARD | TRACK => Happened::Event {
                observed,
                keep: input == TRACK,
            },
            // `as` saturates (and reads NaN as 0): a status out of range
            // is no answer.
            ANSWER => {
                let code = if status < 1000.0 { status as u16 } else { 0 };
                Happened::Answer(code, status - f64::from(code))
            }
            HIDE => Happened::Hide,
            SHOW => Happened::Show,
            _ => Happened::Wake,
        }
    }
}

const IN_FLIGHT: u8 = 1;
const BEACONED: u8 = 2;
/// Forgotten in this step (acknowledged, or dropped).
const GONE: u8 = 4;

/// One kept entry: its JSON, its collector (as JSON string content) and its
/// event's JSON within it, and what this page view did with it.
struct Entry<'a> {
    text: &'a str,
    to: &'a str,
    event: &'a str,
    flags: u8,
}

/// Entry `text`'s parts if it is `{"to":"…","event":{…}}`, as
/// `JSON.stringify` and [`step`] write it.
fn entry(text: &str, flags: u8) -> Option<Entry<'_>> {
    let b = text.as_bytes();
    let to_end = 7 + b.get(7..)?.iter().position(|&c| c == b'"')?;
    let ok = b.starts_with(b"{\"to\":\"")
        && b.get(to_end..)?.starts_with(b"\",\"event\":{")
        && b.last() == Some(&b'}');
    Some(Entry {
        text,
        to: text.get(7..to_end)?,
        event: text.get(to_end + 10..text.len() - 1).filter(|_| ok)?,
        flags,
    })
}

/// The count of a `queue_overflow` report, `None` for any other event (the
/// SDK writes every event's id and type first, and a report's count last).
fn report_count(event: &str) -> Option<u64> {
    let b = event.as_bytes();
    if !b.get(39..)?.starts_with(b"\",\"type\":\"queue_overflow\"") {
        return None;
    }
    let mut n = 0;
    let mut unit = 1;
    for d in b.iter().rev().skip(1).take_while(|d| d.is_ascii_digit()) {
        n += u64::from(d - b'0') * unit;
        unit *= 10;
    }
    Some(n)
}

/// Writes `entry`'s event to the batch `out` is writing, the first after
/// its collector (`n` counts them).
fn push_listed(out: &mut String, n: &mut usize, entry: &Entry<'_>) {
    if *n == 0 {
        out.push_str(entry.to);
        out.push(US);
    }
    out.push(if *n == 0 { '[' } else { ',' });
    out.push_str(entry.event);
    *n += 1;
}

/// The next batch for collector `to` of the entries not `mark`ed yet: marks
/// them and writes `collector US body` to `out`; how many it took.
fn batch(
    policy: &QueuePolicy,
    entries: &mut [Entry<'_>],
    to: &str,
    mark: u8,
    out: &mut String,
) -> usize {
    let mut n = 0;
    for e in entries.iter_mut() {
        if n < policy.batch_events && e.flags & (mark | GONE) == 0 && e.to == to {
            e.flags |= mark;
            push_listed(out, &mut n, e);
        }
    }
    if n > 0 {
        out.push(']');
    }
    n
}

/// One step of the outbox: what `happened` does to the outbox `kept` and
/// this page view's state of it `view` (both as the last plan left them; on
/// a new page view, the outbox as kept and the shell's random page view
/// id), at `now` (ms since the epoch), with the SDK's version `sdk`.
/// Returns the plan (see the module's docs).
pub fn step(
    policy: &QueuePolicy,
    kept: &str,
    view: &str,
    happened: Happened<'_>,
    now: u64,
    sdk: &str,
) -> String {
    // A new event's entry and an overflow report's (borrowed by the
    // entries, so made first).
    let mut added = String::new();
    let mut report = String::new();

    // The page view: its id, then `attempts,due,` and the flags.
    let id = view.get(..32).unwrap_or_default();
    let v = view.as_bytes();
    let mut at = 32;
    let mut numbers = [0u64; 2];
    for n in numbers.iter_mut() {
        while let Some(d) = v.get(at).filter(|d| d.is_ascii_digit()) {
            *n = n.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            at += 1;
        }
        at += 1;
    }
    let [mut attempts, mut due] = numbers;
    let mut stored = v.get(at..).unwrap_or_default().iter();
    let mut changed = false;
    let mut entries: Vec<Entry<'_>> = Vec::new();
    // Entries end where `},{"to":"` starts the next (it cannot be inside
    // an entry: a quote in a string is escaped, and events are flat).
    let mut start = 1;
    let b = kept.as_bytes();
    for end in 1..b.len() {
        let last = end + 1 == b.len();
        if last
            || b.get(end..)
                .is_some_and(|rest| rest.starts_with(b"},{\"to\":\""))
        {
            let flags = stored.next().map_or(0, |f| f.wrapping_sub(b'0') & 3);
            match kept
                .get(start..end + usize::from(!last))
                .and_then(|text| entry(text, flags))
            {
                Some(e) => entries.push(e),
                // Not an entry: forgotten.
                None => changed |= end > start,
            }
            start = end + 2;
        }
    }

    let mut event = "";
    let mut beacons = String::new();
    match happened {
        Happened::Answer(status, jitter) if entries.iter().any(|e| e.flags & IN_FLIGHT != 0) => {
            let retry = match policy.outcome(status, attempts.min(63) as u32, jitter) {
                SendOutcome::RetryAfter(ms) => {
                    attempts += 1;
                    due = now + ms;
                    true
                }
                _ => {
                    attempts = 0;
                    changed = true;
                    false
                }
            };
            // Accepted, or refused for good: exactly those events go.
            for e in entries.iter_mut() {
                if e.flags & IN_FLIGHT != 0 {
                    e.flags = if retry { e.flags & !IN_FLIGHT } else { GONE };
                }
            }
        }
        Happened::Event { observed, keep } => {
            let mut parts = [""; 6];
            let mut rest = observed;
            for part in parts.iter_mut() {
                let end = rest
                    .bytes()
                    .position(|b| b == US as u8)
                    .unwrap_or(rest.len());
                *part = rest.get(..end).unwrap_or_default();
                rest = rest.get(end + 1..).unwrap_or_default();
            }
            let [random, to, kind, placement, page, fields] = parts;
            let observed = Observed {
                kind,
                placement,
                page,
                fields: fields
                    .get(1..fields.len().saturating_sub(1))
                    .unwrap_or_default(),
            };
            let stamp = Stamp {
                id: random.get(..32).unwrap_or_default(),
                ts: now,
                sdk,
                view: id,
            };
            let write = |out: &mut String, stamp: &Stamp<'_>, count: u64| {
                out.push_str("{\"to\":");
                out.push_str(to);
                out.push_str(",\"event\":");
                write_event(out, stamp, &observed, count);
                out.push('}');
            };
            write(&mut added, &stamp, 0);
            let new = entry(&added, 0);
            event = new.as_ref().map_or("", |e| e.event);
            if let Some(new) = new.filter(|_| keep) {
                entries.push(new);
                changed = true;
                let mut excess = policy.overflow(entries.len(), 0);
                if excess > 0 {
                    // Full: the oldest not on their way go (a report
                    // passing its count on), until there is room for saying
                    // how many went.
                    excess += 1;
                    let mut count = 0;
                    for e in entries.iter_mut() {
                        if excess > 0 && e.flags & (IN_FLIGHT | GONE) == 0 {
                            count += report_count(e.event).unwrap_or(1);
                            e.flags = GONE;
                            excess -= 1;
                        }
                    }
                    let stamp = Stamp {
                        id: random.get(32..).unwrap_or_default(),
                        ..stamp
                    };
                    write(&mut report, &stamp, count);
                    entries.extend(entry(&report, 0).filter(|_| count > 0));
                }
            }
        }
        // Every event not beaconed since the page was shown, by collector
        // (in the order they first appear), a batch per beacon.
        Happened::Hide => {
            while let Some(to) = entries
                .iter()
                .find(|e| e.flags & (BEACONED | GONE) == 0)
                .map(|e| e.to)
            {
                beacons.push(RS);
                while batch(policy, &mut entries, to, BEACONED, &mut beacons) > 0 {
                    beacons.push(RS);
                }
                beacons.pop();
            }
        }
        Happened::Show => {
            for e in entries.iter_mut() {
                e.flags &= !BEACONED;
            }
        }
        _ => {}
    }

    // When the next batch goes: at once when a batch's worth waits (unless
    // retrying), else once the first waited the batch delay (or the retry
    // its backoff); one send on its way at a time.
    let mut waiting = 0;
    let mut flying = false;
    let mut first = None;
    for e in entries.iter().filter(|e| e.flags & GONE == 0) {
        first = first.or(Some(e.to));
        flying |= e.flags & IN_FLIGHT != 0;
        waiting += usize::from(e.flags & IN_FLIGHT == 0);
    }
    if waiting == 0 {
        due = 0;
    } else if due == 0 {
        due = now + policy.batch_delay_ms;
    }
    let mut post = String::new();
    if !flying && waiting > 0 && (now >= due || attempts == 0 && waiting >= policy.batch_events) {
        // The first event's collector's events, at most a batch.
        batch(
            policy,
            &mut entries,
            first.unwrap_or_default(),
            IN_FLIGHT,
            &mut post,
        );
        due = 0;
    }

    let mut plan = String::new();
    let mut flags = String::new();
    for e in entries.iter().filter(|e| e.flags & GONE == 0) {
        if changed {
            plan.push(if flags.is_empty() { '[' } else { ',' });
            plan.push_str(e.text);
        }
        flags.push(char::from(b'0' + e.flags));
    }
    if changed {
        if flags.is_empty() {
            plan.push('[');
        }
        plan.push(']');
    }
    plan.push(RS);
    plan.push_str(id);
    push_decimal(&mut plan, attempts);
    plan.push(',');
    push_decimal(&mut plan, due);
    plan.push(',');
    plan.push_str(&flags);
    plan.push(RS);
    // No timer while a send is on its way (its answer wakes the outbox).
    if due != 0 && !flying {
        push_decimal(&mut plan, due.saturating_sub(now));
    }
    plan.push(RS);
    plan.push_str(event);
    plan.push(RS);
    plan.push_str(&post);
    plan.push_str(&beacons);
    plan
}
