//! Attribution events: the wire schema both the SDK (which sends them) and
//! the platform (which counts them) validate against, and the SDK queue's
//! pure policies (batching, retry backoff, the offline cap), testable with a
//! fake clock.
//!
//! An event carries no cookie and nothing that identifies a person: a random
//! event id, a random per-page-view id, and the page's origin and path
//! (never its query or fragment).

use crate::field::{err, id_field, is_hex_id, is_placement, string, FieldError, PLACEMENT_RULE};
use crate::json::{whole_number, Node};
use crate::locale::push_decimal;
use alloc::string::String;

/// Largest batch body the collector reads.
pub const MAX_BATCH_BYTES: usize = 64 * 1024;
/// Most events in one batch.
pub const MAX_BATCH_EVENTS: usize = 500;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// The card rendered.
    Impression,
    /// At least half the card was in view for one continuous second.
    ViewableImpression,
    /// The buy link was followed.
    Click,
    /// The follow control was clicked (the intent page opened).
    FollowClick,
    /// The platform confirmed a follow.
    FollowConfirmed,
    /// The card could not render (its fallback showed).
    RenderError,
    /// The SDK's offline outbox was full and dropped its oldest events:
    /// `count` says how many, so the loss is itself counted.
    QueueOverflow,
    /// The social-proof strip on a store's page showed this recommendation
    /// (its creator's avatar, in the collapsed strip).
    ProofImpression,
    /// At least half the strip was in view for one continuous second.
    ProofViewableImpression,
    /// The reader opened the strip's list of every recommendation.
    ProofExpand,
    /// The reader opened a creator's page from the strip.
    CreatorClick,
}

impl EventType {
    /// Every type, for reports and tests. Only ever append: the platform
    /// stores a type as its place in this list.
    pub const ALL: [EventType; 11] = [
        EventType::Impression,
        EventType::ViewableImpression,
        EventType::Click,
        EventType::FollowClick,
        EventType::FollowConfirmed,
        EventType::RenderError,
        EventType::QueueOverflow,
        EventType::ProofImpression,
        EventType::ProofViewableImpression,
        EventType::ProofExpand,
        EventType::CreatorClick,
    ];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            EventType::Impression => "impression",
            EventType::ViewableImpression => "viewable_impression",
            EventType::Click => "click",
            EventType::FollowClick => "follow_click",
            EventType::FollowConfirmed => "follow_confirmed",
            EventType::RenderError => "render_error",
            EventType::QueueOverflow => "queue_overflow",
            EventType::ProofImpression => "proof_impression",
            EventType::ProofViewableImpression => "proof_viewable_impression",
            EventType::ProofExpand => "proof_expand",
            EventType::CreatorClick => "creator_click",
        }
    }

    /// The type with this wire name.
    pub fn from_name(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether events of this type must name the item (and its creator).
    fn needs_item(self) -> bool {
        matches!(
            self,
            EventType::Impression
                | EventType::ViewableImpression
                | EventType::Click
                | EventType::ProofImpression
                | EventType::ProofViewableImpression
                | EventType::ProofExpand
        )
    }
}

/// A validated event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Random 128-bit id (32 hex digits): a re-sent event is counted once.
    pub id: String,
    /// What happened.
    pub kind: EventType,
    /// The item, for card events.
    pub item_id: Option<String>,
    /// The creator.
    pub creator_id: Option<String>,
    /// Where the card is shown.
    pub placement_id: String,
    /// The page: origin and path only.
    pub page: String,
    /// When, in milliseconds since the Unix epoch (the browser's clock).
    pub ts: u64,
    /// The SDK version that sent it.
    pub sdk: String,
    /// The page view (random per page load; no cookie, no fingerprint).
    pub view_id: String,
    /// The click id, for clicks: the same id a `/r/` redirect records.
    pub click_id: Option<String>,
    /// For `render_error`: what went wrong (the console warning).
    pub reason: Option<String>,
    /// For `queue_overflow`: how many events were dropped.
    pub count: Option<u64>,
}

fn hex_id<N: Node>(node: &N, key: &str, field: &'static str) -> Result<String, FieldError> {
    const RULE: &str = "must be 32 lower-case hex digits";
    let s = string(node, key, field, RULE)?;
    if is_hex_id(&s) {
        Ok(s)
    } else {
        err(field, RULE)
    }
}

fn optional_id<N: Node>(
    node: &N,
    key: &str,
    field: &'static str,
) -> Result<Option<String>, FieldError> {
    match node.field(key) {
        None => Ok(None),
        Some(_) => id_field(node, key, field).map(Some),
    }
}

impl Event {
    /// Reads and validates one event; the error names the field.
    pub fn from_node<N: Node>(node: &N) -> Result<Event, FieldError> {
        if !node.is_object() {
            return err("event", "must be an object");
        }
        let id = hex_id(node, "id", "event.id")?;
        let kind = string(node, "type", "event.type", "must be a known event type")?;
        let kind = EventType::from_name(&kind).ok_or(FieldError {
            field: "event.type",
            rule: "must be a known event type",
        })?;
        let item_id = optional_id(node, "item", "event.item")?;
        let creator_id = optional_id(node, "creator", "event.creator")?;
        if kind.needs_item() && (item_id.is_none() || creator_id.is_none()) {
            return err(
                "event.item",
                "and event.creator are required for impressions and clicks",
            );
        }
        if matches!(
            kind,
            EventType::FollowClick | EventType::FollowConfirmed | EventType::CreatorClick
        ) && creator_id.is_none()
        {
            return err("event.creator", "is required for follow events");
        }
        let placement_id = string(node, "placement", "event.placement", PLACEMENT_RULE)?;
        if !is_placement(&placement_id) {
            return err("event.placement", PLACEMENT_RULE);
        }
        const PAGE: &str = "must be an http(s) origin and path, without query or fragment";
        let page = string(node, "page", "event.page", PAGE)?;
        let scheme_ok = page.starts_with("https://") || page.starts_with("http://");
        if !scheme_ok
            || page.len() > 2048
            || page.bytes().any(|b| b == b'?' || b == b'#' || b <= b' ')
        {
            return err("event.page", PAGE);
        }
        let ts = match node
            .field("ts")
            .and_then(|v| v.as_number())
            .and_then(whole_number)
        {
            Some(ts) => ts,
            None => return err("event.ts", "must be a whole number of milliseconds"),
        };
        const SDK: &str = "must be a version of 1 to 32 characters";
        let sdk = string(node, "sdk", "event.sdk", SDK)?;
        if sdk.is_empty()
            || sdk.len() > 32
            || !sdk
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
        {
            return err("event.sdk", SDK);
        }
        let view_id = hex_id(node, "view", "event.view")?;
        let click_id = match node.field("click") {
            None if kind == EventType::Click => {
                return err("event.click", "is required for clicks")
            }
            None => None,
            Some(_) => Some(hex_id(node, "click", "event.click")?),
        };
        let reason = match node.field("reason") {
            None => None,
            Some(r) => match r.as_string() {
                Some(r) if r.chars().count() <= 300 => Some(r),
                _ => return err("event.reason", "must be a string of at most 300 characters"),
            },
        };
        let count = match (
            kind,
            node.field("count")
                .and_then(|v| v.as_number())
                .and_then(whole_number),
        ) {
            (EventType::QueueOverflow, Some(n)) if n > 0 => Some(n),
            (EventType::QueueOverflow, _) => {
                return err(
                    "event.count",
                    "must be a positive whole number for queue_overflow",
                )
            }
            _ => None,
        };
        Ok(Event {
            count,
            id,
            kind,
            item_id,
            creator_id,
            placement_id,
            page,
            ts,
            sdk,
            view_id,
            click_id,
            reason,
        })
    }
}

/// What the SDK stamps on a new event besides what the shell observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp<'a> {
    /// The event's id: random, 32 hex digits (the shell's randomness).
    pub id: &'a str,
    /// When, in ms since the epoch (the shell's clock).
    pub ts: u64,
    /// The SDK's version.
    pub sdk: &'a str,
    /// The page view's id.
    pub view: &'a str,
}

/// What the shell observed of a new event, each part already JSON (the
/// shell's `JSON.stringify`): its type, placement and page (strings), and
/// its other fields (the members of an object, without its braces:
/// `item`, `creator`, `click`, `reason`, as the event has them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observed<'a> {
    /// The type, as a JSON string.
    pub kind: &'a str,
    /// The placement, as a JSON string.
    pub placement: &'a str,
    /// The page (origin and path), as a JSON string.
    pub page: &'a str,
    /// The other fields, as JSON object members (maybe none).
    pub fields: &'a str,
}

/// Writes a new event as the wire's JSON (what [`Event::from_node`] reads):
/// its id, type, placement, page, time, SDK, page view, then its other
/// fields. With an `overflow` count, the event is instead the outbox's
/// `queue_overflow` report of the events it dropped: the same, with no
/// other fields but the count. Nothing is checked here (the collector
/// checks every event); the text is JSON as long as the observed parts are.
pub fn write_event(out: &mut String, stamp: &Stamp<'_>, observed: &Observed<'_>, overflow: u64) {
    out.push_str("{\"id\":\"");
    out.push_str(stamp.id);
    out.push_str("\",\"type\":");
    if overflow > 0 {
        out.push('"');
        out.push_str(EventType::QueueOverflow.name());
        out.push('"');
    } else {
        out.push_str(observed.kind);
    }
    out.push_str(",\"placement\":");
    out.push_str(observed.placement);
    out.push_str(",\"page\":");
    out.push_str(observed.page);
    out.push_str(",\"ts\":");
    push_decimal(out, stamp.ts);
    out.push_str(",\"sdk\":\"");
    out.push_str(stamp.sdk);
    out.push_str("\",\"view\":\"");
    out.push_str(stamp.view);
    out.push('"');
    if overflow > 0 {
        out.push_str(",\"count\":");
        push_decimal(out, overflow);
    } else if !observed.fields.is_empty() {
        out.push(',');
        out.push_str(observed.fields);
    }
    out.push('}');
}

/// How the SDK's queue sends: batch size and delay, retry backoff, and the
/// cap of what it keeps while offline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuePolicy {
    /// Send as soon as this many events wait.
    pub batch_events: usize,
    /// Or this long after the first one arrived (ms).
    pub batch_delay_ms: u64,
    /// First retry after this long (ms); doubled each attempt.
    pub retry_base_ms: u64,
    /// Never wait longer than this between retries (ms).
    pub retry_max_ms: u64,
    /// Most events kept unsent (in `localStorage`); beyond, the oldest go.
    pub max_kept: usize,
}

impl Default for QueuePolicy {
    fn default() -> Self {
        QueuePolicy {
            batch_events: 20,
            batch_delay_ms: 1000,
            retry_base_ms: 1000,
            retry_max_ms: 60_000,
            max_kept: 500,
        }
    }
}

/// What to do with a send's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted (2xx): forget the batch.
    Done,
    /// Refused (4xx): retrying cannot help; forget it.
    Drop,
    /// Network error or 5xx: keep it and retry after this many ms.
    RetryAfter(u64),
}

impl QueuePolicy {
    /// The answer to a send: HTTP status (0 for a network error), the number
    /// of failed attempts so far, and a jitter draw in `[0, 1)` (random in the
    /// browser, fixed in tests).
    pub fn outcome(&self, status: u16, attempts: u32, jitter: f64) -> SendOutcome {
        match status {
            200..=299 => SendOutcome::Done,
            400..=499 => SendOutcome::Drop,
            _ => SendOutcome::RetryAfter(self.backoff_ms(attempts, jitter)),
        }
    }

    /// Exponential backoff with "equal jitter": half the capped delay, plus
    /// up to the other half at random, so a fleet of pages that went offline
    /// together does not come back in step.
    pub fn backoff_ms(&self, attempts: u32, jitter: f64) -> u64 {
        let exp = self.retry_base_ms.saturating_mul(1u64 << attempts.min(20));
        let capped = exp.min(self.retry_max_ms);
        let half = capped / 2;
        half + (half as f64 * jitter.clamp(0.0, 1.0)) as u64
    }

    /// How many of `kept` waiting events must be dropped (oldest first) to
    /// take `incoming` more. The SDK reports the count it dropped.
    pub fn overflow(&self, kept: usize, incoming: usize) -> usize {
        (kept + incoming).saturating_sub(self.max_kept)
    }

    /// Whether a batch should go now: enough events, or the oldest has
    /// waited the batch delay.
    pub fn due(&self, waiting: usize, oldest_waited_ms: u64) -> bool {
        waiting >= self.batch_events || (waiting > 0 && oldest_waited_ms >= self.batch_delay_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        let p = QueuePolicy::default();
        assert_eq!(p.backoff_ms(0, 0.0), 500);
        assert_eq!(p.backoff_ms(0, 0.999), 999);
        assert_eq!(p.backoff_ms(1, 0.0), 1000);
        assert_eq!(p.backoff_ms(3, 0.5), 4000 + 2000);
        assert_eq!(
            p.backoff_ms(10, 0.0),
            30_000,
            "capped at a minute, half of it fixed"
        );
        assert_eq!(
            p.backoff_ms(63, 1.0),
            60_000,
            "no overflow however many attempts"
        );
    }

    #[test]
    fn only_network_errors_and_5xx_are_retried() {
        let p = QueuePolicy::default();
        assert_eq!(p.outcome(202, 0, 0.3), SendOutcome::Done);
        assert_eq!(p.outcome(400, 0, 0.3), SendOutcome::Drop);
        assert_eq!(p.outcome(413, 5, 0.3), SendOutcome::Drop);
        assert_eq!(p.outcome(0, 0, 0.0), SendOutcome::RetryAfter(500));
        assert_eq!(p.outcome(503, 2, 0.0), SendOutcome::RetryAfter(2000));
    }

    #[test]
    fn the_offline_cap_drops_the_oldest() {
        let p = QueuePolicy {
            max_kept: 10,
            ..QueuePolicy::default()
        };
        assert_eq!(p.overflow(0, 3), 0);
        assert_eq!(p.overflow(8, 2), 0);
        assert_eq!(p.overflow(8, 5), 3);
        assert_eq!(p.overflow(10, 1), 1);
    }

    #[test]
    fn batches_go_when_full_or_old() {
        let p = QueuePolicy::default();
        assert!(!p.due(0, 5000));
        assert!(!p.due(3, 200));
        assert!(p.due(3, 1000));
        assert!(p.due(20, 0));
    }
}
