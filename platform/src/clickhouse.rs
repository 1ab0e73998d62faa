//! The scale configuration's events: [`EventStore`] on ClickHouse
//! (docs/scale.md), over its HTTP interface with `JSONEachRow` (the one
//! format every release speaks; Debian 12's is 18.16, and the `clickhouse`
//! crate needs 22.6). The trait is synchronous and called from `blocking`'s
//! threads, so each query is one plain HTTP/1.0 exchange on loopback.
//!
//! **Exactly once.** ClickHouse keeps a row as often as it is inserted, so
//! the tables are `ReplacingMergeTree`s keyed by the event's id (a re-sent
//! event collapses when parts merge) and every count is `uniqExact` of the
//! id: exact before the merge too. A batch's ids already stored are found
//! first (by creator and day, the key's prefix) and answered `duplicate`.
//! **Clicks** are one row per click id in `clicks` (a beacon's, a
//! redirect's); a click's first record decides whether it counts
//! (`argMin` by arrival), as the embedded store's `INSERT OR IGNORE` does.
//!
//! Not yet chosen by any configuration: `--store scale` comes with the
//! composite that pairs it with the PostgreSQL catalogue; until then the
//! event contract tests run it against a live ClickHouse beside the
//! embedded store.

#![cfg_attr(not(test), allow(dead_code))]

use crate::store::{
    counted_codes, needs_impression, now_ms, stored_reason, type_code, type_name, Arrival,
    BucketCount, EventStore, GroupBy, ReportFilter, StoreError, StoreResult, Stored,
};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::{Read, Write};
use vitrine_core::event::EventType;
use vitrine_core::traffic::{repeats, Invalid};

/// The tables, in SQL that runs on 18.16 and on current releases. The
/// events are ordered for the reports (by creator, day and type); the
/// collector's two questions per batch (which ids are stored already, what
/// the batch's page views did before) are asked of materialized views that
/// ClickHouse fills from every insert, ordered by what they look up, so
/// each is an index lookup however many events are stored, not a scan of
/// the creator's day. (Views made on a store that already has events see
/// only what comes after: an old event sent again is then answered as new,
/// and still counted once.)
const SCHEMA: [&str; 4] = [
    "CREATE TABLE IF NOT EXISTS events (
        id FixedString(32), ts UInt64, type UInt8, creator String, item String,
        placement String, page String, sdk String, view FixedString(32), click String,
        reason String, count UInt64, received UInt64,
        invalid UInt8 -- 0: counted; else vitrine_core::traffic::Invalid's code
    ) ENGINE = ReplacingMergeTree()
    PARTITION BY toYYYYMM(toDateTime(intDiv(ts, 1000)))
    ORDER BY (creator, intDiv(ts, 86400000), type, id)",
    "CREATE TABLE IF NOT EXISTS clicks (
        click_id String, item String, creator String, placement String, source String,
        at UInt64, received UInt64, invalid UInt8
    ) ENGINE = ReplacingMergeTree()
    PARTITION BY toYYYYMM(toDateTime(intDiv(at, 1000)))
    ORDER BY (creator, click_id, received)",
    "CREATE MATERIALIZED VIEW IF NOT EXISTS event_ids
    ENGINE = ReplacingMergeTree()
    PARTITION BY toYYYYMM(toDateTime(intDiv(ts, 1000)))
    ORDER BY id
    AS SELECT id, ts FROM events",
    "CREATE MATERIALIZED VIEW IF NOT EXISTS view_history
    ENGINE = ReplacingMergeTree()
    PARTITION BY toYYYYMM(toDateTime(intDiv(ts, 1000)))
    ORDER BY (view, type, id)
    AS SELECT view, type, id, ts, item, creator, invalid FROM events",
];

const DAY_MS: u64 = 86_400_000;
/// How far back a page view's impression is looked for (the collector
/// takes events of the last 30 days).
const LOOK_BACK_DAYS: u64 = 31;

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("clickhouse: {e}"))
}

/// A string as a ClickHouse literal (quotes and backslashes escaped).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn list(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    if items.is_empty() {
        "('')".into()
    } else {
        format!("({})", items.join(", "))
    }
}

/// A number in a `JSONEachRow` answer (18.16 quotes 64-bit integers).
fn number(v: &Value) -> u64 {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0)
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// An impression or counted click a page view had: `(view, item, type
/// code, ts, id)`.
type Seen = (String, String, i64, u64, String);

/// The events in ClickHouse.
pub struct ChEvents {
    /// `host:port` of the HTTP interface.
    address: String,
    database: String,
}

impl ChEvents {
    /// The store at `url` (`http://host:port/?database=NAME`, `vitrine`
    /// without one), its database and tables made if missing.
    pub fn open(url: &str) -> StoreResult<ChEvents> {
        let parsed = url::Url::parse(url).map_err(failed)?;
        if parsed.scheme() != "http" {
            return Err(failed("the URL must be http://host:port/?database=NAME"));
        }
        let address = format!(
            "{}:{}",
            parsed.host_str().unwrap_or("127.0.0.1"),
            parsed.port().unwrap_or(8123)
        );
        let database = parsed
            .query_pairs()
            .find(|(k, _)| k == "database")
            .map_or_else(|| "vitrine".to_owned(), |(_, v)| v.into_owned());
        if database.is_empty()
            || !database
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(failed("the database name must be letters, digits and _"));
        }
        let store = ChEvents { address, database };
        store.exchange(
            &format!("CREATE DATABASE IF NOT EXISTS {}", store.database),
            None,
            false,
        )?;
        for sql in SCHEMA {
            store.exchange(sql, None, true)?;
        }
        Ok(store)
    }

    /// One HTTP exchange: `query` (in the URL when a body follows, else as
    /// the body), in the store's database; the answer's body.
    fn exchange(&self, query: &str, rows: Option<&str>, in_database: bool) -> StoreResult<String> {
        let mut path = String::from("/?");
        if in_database {
            path.push_str("database=");
            path.push_str(&self.database);
            path.push('&');
        }
        let body = match rows {
            Some(rows) => {
                path.push_str("query=");
                vitrine_core::url::push_encoded(&mut path, query);
                rows.to_owned()
            }
            None => query.to_owned(),
        };
        let mut stream = std::net::TcpStream::connect(&self.address).map_err(failed)?;
        let request = format!(
            "POST {path} HTTP/1.0\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
            self.address,
            body.len()
        );
        stream.write_all(request.as_bytes()).map_err(failed)?;
        stream.write_all(body.as_bytes()).map_err(failed)?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).map_err(failed)?;
        let answer = String::from_utf8_lossy(&answer);
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
            return Err(failed(format!(
                "{}: {}",
                head.lines().next().unwrap_or_default(),
                body.trim()
            )));
        }
        Ok(body.to_owned())
    }

    /// A query's rows, as JSON objects.
    fn rows(&self, query: &str) -> StoreResult<Vec<Value>> {
        let body = self.exchange(&format!("{query} FORMAT JSONEachRow"), None, true)?;
        body.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(failed))
            .collect()
    }

    fn insert(&self, table: &str, rows: &[Value]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut body = String::new();
        for row in rows {
            body.push_str(&row.to_string());
            body.push('\n');
        }
        self.exchange(
            &format!("INSERT INTO {table} FORMAT JSONEachRow"),
            Some(&body),
            true,
        )?;
        Ok(())
    }

    /// Which of `events`' ids are stored already.
    fn stored_ids(&self, arrivals: &[Arrival]) -> StoreResult<HashSet<String>> {
        if arrivals.is_empty() {
            return Ok(HashSet::new());
        }
        let ids = list(arrivals.iter().map(|a| quoted(&a.event.id)));
        let found = self.rows(&format!(
            "SELECT DISTINCT id FROM event_ids WHERE id IN {ids}"
        ))?;
        Ok(found.iter().map(|r| text(&r["id"])).collect())
    }

    /// The page views' stored impressions of items, and their counted
    /// clicks, that the rules may need.
    fn history(&self, arrivals: &[Arrival]) -> StoreResult<Vec<Seen>> {
        let wanted: Vec<&Arrival> = arrivals
            .iter()
            .filter(|a| a.event.item_id.is_some() && needs_impression(a.event.kind).is_some())
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let creators = list(
            wanted
                .iter()
                .map(|a| quoted(a.event.creator_id.as_deref().unwrap_or(""))),
        );
        let views = list(wanted.iter().map(|a| quoted(&a.event.view_id)));
        let first_day = wanted
            .iter()
            .map(|a| a.event.ts / DAY_MS)
            .min()
            .unwrap_or(0);
        let types = list(
            [
                EventType::Impression,
                EventType::ProofImpression,
                EventType::Click,
            ]
            .iter()
            .map(|&t| type_code(t).to_string()),
        );
        let rows = self.rows(&format!(
            "SELECT view, item, type, ts, id FROM view_history WHERE view IN {views} \
             AND type IN {types} AND creator IN {creators} AND intDiv(ts, 86400000) >= {} \
             AND (type != {} OR invalid = 0)",
            first_day.saturating_sub(LOOK_BACK_DAYS),
            type_code(EventType::Click)
        ))?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    text(&r["view"]),
                    text(&r["item"]),
                    number(&r["type"]) as i64,
                    number(&r["ts"]),
                    text(&r["id"]),
                )
            })
            .collect())
    }

    /// Rows of `table` for one report: the creator's, narrowed by `filter`.
    fn scope(filter: &ReportFilter, creator: &str) -> String {
        let narrow = match filter {
            ReportFilter::Creator(c) => format!("creator = {}", quoted(c)),
            ReportFilter::Item(i) => format!("item = {}", quoted(i)),
            ReportFilter::Placement(p) => format!("placement = {}", quoted(p)),
        };
        format!("creator = {} AND {narrow}", quoted(creator))
    }

    /// Each click once, as its first record says (`argMin` by arrival).
    fn clicks_sql(scope: &str, from: i64, to: i64) -> String {
        format!(
            "SELECT click_id, argMin(at, received) AS first_at, argMin(item, received) AS first_item, \
             argMin(placement, received) AS first_placement, argMin(invalid, received) AS first_invalid \
             FROM clicks WHERE {scope} GROUP BY click_id HAVING first_at >= {from} AND first_at < {to}"
        )
    }
}

impl ChEvents {
    /// A click recorded elsewhere first (a redirect's, by click id in the
    /// catalogue), for the reports: `at_ms` as the catalogue took it.
    pub fn record_click(
        &self,
        c: &crate::store::ClickRow,
        at_ms: i64,
        invalid: Option<Invalid>,
    ) -> StoreResult<()> {
        self.insert(
            "clicks",
            &[json!({
                "click_id": c.click_id, "item": c.item_id, "creator": c.creator_id,
                "placement": c.placement_id, "source": c.source, "at": at_ms.max(0),
                "received": now_ms().max(0), "invalid": invalid.map_or(0, Invalid::code),
            })],
        )
    }
}

impl EventStore for ChEvents {
    fn insert_events(&self, arrivals: &[Arrival]) -> StoreResult<Vec<Stored>> {
        let received = now_ms().max(0) as u64;
        let stored_before = self.stored_ids(arrivals)?;
        let mut history = self.history(arrivals)?;
        let mut stored = vec![Stored::Duplicate; arrivals.len()];
        let mut seen: HashSet<&str> = HashSet::new();
        let mut events = Vec::new();
        let mut clicks = Vec::new();
        // Impressions first, so that a batch holding an impression and what
        // followed it (in any order) finds the impression (as embedded).
        let (first, then): (Vec<usize>, Vec<usize>) =
            (0..arrivals.len()).partition(|&i| needs_impression(arrivals[i].event.kind).is_none());
        for i in first.into_iter().chain(then) {
            let Arrival { event: e, invalid } = &arrivals[i];
            if stored_before.contains(&e.id) || !seen.insert(&e.id) {
                continue;
            }
            let mut invalid = *invalid;
            let item = e.item_id.as_deref().unwrap_or("");
            if let (None, Some(_), Some(impression)) =
                (invalid, &e.item_id, needs_impression(e.kind))
            {
                let code = type_code(impression);
                if !history
                    .iter()
                    .any(|(v, it, t, ..)| *t == code && *v == e.view_id && it == item)
                {
                    invalid = Some(Invalid::NoImpression);
                }
            }
            if let (None, EventType::Click, Some(_)) = (invalid, e.kind, &e.item_id) {
                let click = type_code(EventType::Click);
                if history.iter().any(|(v, it, t, ts, id)| {
                    *t == click
                        && *v == e.view_id
                        && it == item
                        && *id != e.id
                        && repeats(*ts as i64, e.ts as i64)
                }) {
                    invalid = Some(Invalid::RepeatClick);
                }
            }
            let code = invalid.map_or(0, Invalid::code);
            // What later events of this batch look for, as if stored.
            if matches!(e.kind, EventType::Impression | EventType::ProofImpression)
                || (e.kind == EventType::Click && code == 0)
            {
                history.push((
                    e.view_id.clone(),
                    item.to_owned(),
                    type_code(e.kind),
                    e.ts,
                    e.id.clone(),
                ));
            }
            events.push(json!({
                "id": e.id, "ts": e.ts, "type": type_code(e.kind), "creator": e.creator_id.as_deref().unwrap_or(""),
                "item": item, "placement": e.placement_id, "page": e.page, "sdk": e.sdk, "view": e.view_id,
                "click": e.click_id.as_deref().unwrap_or(""), "reason": e.reason.as_deref().unwrap_or(""),
                "count": e.count.unwrap_or(0), "received": received, "invalid": code,
            }));
            if let (EventType::Click, Some(c), Some(creator)) = (e.kind, &e.click_id, &e.creator_id)
            {
                clicks.push(json!({
                    "click_id": c, "item": item, "creator": creator, "placement": e.placement_id,
                    "source": "beacon", "at": e.ts, "received": received, "invalid": code,
                }));
            }
            stored[i] = Stored::New(invalid);
        }
        // Acknowledged only once ClickHouse has written the parts.
        self.insert("events", &events)?;
        self.insert("clicks", &clicks)?;
        Ok(stored)
    }

    fn report(
        &self,
        creator_id: &str,
        filter: &ReportFilter,
        from_ms: i64,
        to_ms: i64,
        bucket_ms: i64,
    ) -> StoreResult<Vec<BucketCount>> {
        let scope = Self::scope(filter, creator_id);
        let counted = counted_codes();
        let mut out: Vec<BucketCount> = self
            .rows(&format!(
                "SELECT intDiv(ts, {bucket_ms}) * {bucket_ms} AS start, type, uniqExact(id) AS n FROM events \
                 WHERE {scope} AND ts >= {from_ms} AND ts < {to_ms} AND type IN {counted} AND invalid = 0 \
                 GROUP BY start, type"
            ))?
            .iter()
            .map(|r| BucketCount {
                start_ms: number(&r["start"]) as i64,
                kind: type_name(number(&r["type"]) as i64).into(),
                count: number(&r["n"]),
            })
            .collect();
        let clicks = self.rows(&format!(
            "SELECT intDiv(first_at, {bucket_ms}) * {bucket_ms} AS start, count() AS n FROM ({}) \
             WHERE first_invalid = 0 GROUP BY start",
            Self::clicks_sql(&scope, from_ms, to_ms)
        ))?;
        out.extend(clicks.iter().map(|r| BucketCount {
            start_ms: number(&r["start"]) as i64,
            kind: EventType::Click.name().into(),
            count: number(&r["n"]),
        }));
        out.sort_by_key(|b| b.start_ms);
        Ok(out)
    }

    fn report_groups(
        &self,
        creator_id: &str,
        filter: &ReportFilter,
        by: GroupBy,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<(String, String, u64)>> {
        let scope = Self::scope(filter, creator_id);
        let counted = counted_codes();
        let group = match by {
            GroupBy::Item => "item",
            GroupBy::Placement => "placement",
        };
        let mut out: Vec<(String, String, u64)> = self
            .rows(&format!(
                "SELECT {group} AS key, type, uniqExact(id) AS n FROM events \
                 WHERE {scope} AND ts >= {from_ms} AND ts < {to_ms} AND {group} != '' \
                 AND type IN {counted} AND invalid = 0 GROUP BY key, type"
            ))?
            .iter()
            .map(|r| {
                (
                    text(&r["key"]),
                    type_name(number(&r["type"]) as i64).to_owned(),
                    number(&r["n"]),
                )
            })
            .collect();
        let clicks = self.rows(&format!(
            "SELECT first_{group} AS key, count() AS n FROM ({}) WHERE first_invalid = 0 GROUP BY key",
            Self::clicks_sql(&scope, from_ms, to_ms)
        ))?;
        out.extend(clicks.iter().map(|r| {
            (
                text(&r["key"]),
                EventType::Click.name().to_owned(),
                number(&r["n"]),
            )
        }));
        Ok(out)
    }

    fn report_filtered(
        &self,
        creator_id: &str,
        filter: &ReportFilter,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<(String, Invalid, u64)>> {
        let scope = Self::scope(filter, creator_id);
        let counted = counted_codes();
        let mut rows: Vec<(String, u64, u64)> = self
            .rows(&format!(
                "SELECT type, invalid, uniqExact(id) AS n FROM events \
                 WHERE {scope} AND ts >= {from_ms} AND ts < {to_ms} AND type IN {counted} AND invalid != 0 \
                 GROUP BY type, invalid"
            ))?
            .iter()
            .map(|r| (type_name(number(&r["type"]) as i64).to_owned(), number(&r["invalid"]), number(&r["n"])))
            .collect();
        let clicks = self.rows(&format!(
            "SELECT first_invalid AS invalid, count() AS n FROM ({}) WHERE first_invalid != 0 GROUP BY first_invalid",
            Self::clicks_sql(&scope, from_ms, to_ms)
        ))?;
        rows.extend(clicks.iter().map(|r| {
            (
                EventType::Click.name().to_owned(),
                number(&r["invalid"]),
                number(&r["n"]),
            )
        }));
        Ok(rows
            .into_iter()
            .map(|(kind, code, n)| (kind, stored_reason(code as i64), n))
            .collect())
    }

    fn event_count(&self, item_id: &str, kind: EventType) -> StoreResult<u64> {
        let rows = self.rows(&format!(
            "SELECT uniqExact(id) AS n FROM events WHERE item = {} AND type = {} AND invalid = 0",
            quoted(item_id),
            type_code(kind)
        ))?;
        Ok(rows.first().map_or(0, |r| number(&r["n"])))
    }
}
