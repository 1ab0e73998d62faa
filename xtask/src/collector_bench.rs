//! The collector under load, on loopback: concurrent clients posting
//! realistic batches over keep-alive connections, for a fixed time.
//! Plain std (xtask must build on a bare machine): a minimal HTTP/1.1 client.

use crate::platform::Platform;
use crate::Result;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub struct Figures {
    pub clients: usize,
    pub batch: usize,
    pub seconds: f64,
    pub events: u64,
    pub events_per_s: f64,
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    pub dashboard_ms: Vec<f64>,
    pub db_bytes_per_million: f64,
}

const CLIENTS: usize = 8;
const BATCH: usize = 50;
const SECONDS: u64 = 5;

/// An ordinary browser's user agent (a bot's events would be filtered, a
/// cheaper path than a reader's).
pub const BROWSER: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

fn event(id: u128, view: u128, ts: u128) -> String {
    format!(
        r#"{{"id":"{id:032x}","type":"impression","item":"itm_nc_headphones","creator":"cr_mayachen","placement":"bench","page":"https://bench.example/gear/headphones","ts":{ts},"sdk":"0.1.0","view":"{view:032x}"}}"#
    )
}

/// One request on a keep-alive connection; the status.
fn post(reader: &mut BufReader<TcpStream>, host: &str, body: &str) -> Result<u16> {
    let request = format!(
        "POST /v1/events HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain\r\nUser-Agent: {BROWSER}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    reader
        .get_mut()
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut status_line = String::new();
    reader
        .read_line(&mut status_line)
        .map_err(|e| e.to_string())?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    Ok(status)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub fn run(binary: &std::path::Path) -> Result<Figures> {
    let server = Platform::start_for_load(binary, &crate::root().join("www"))?;
    let host = server.url.trim_start_matches("http://").to_string();
    let mut figures = load(&host)?;
    let db = server.data_dir();
    let db_bytes: u64 = ["vitrine.db", "vitrine.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(db.join(f)).ok())
        .map(|m| m.len())
        .sum();
    figures.db_bytes_per_million = db_bytes as f64 / figures.events.max(1) as f64 * 1_000_000.0;
    Ok(figures)
}

/// The load against a collector at `host` (a platform, or nginx in front
/// of several); no database size (`0`).
pub fn load(host: &str) -> Result<Figures> {
    load_with(host, CLIENTS)
}

/// The load from `clients` concurrent connections.
pub fn load_with(host: &str, clients: usize) -> Result<Figures> {
    let host = host.to_owned();
    // Unique to this run: a second run against the same store (the scale
    // set-up's instances share one) sends new events, not duplicates.
    let run = now_ms() & 0xffff_ffff;
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|client| {
            let (host, stop) = (host.clone(), stop.clone());
            std::thread::spawn(move || -> Result<(u64, Vec<f64>)> {
                let stream = TcpStream::connect(&host).map_err(|e| e.to_string())?;
                stream.set_nodelay(true).ok();
                let mut reader = BufReader::new(stream);
                let (mut sent, mut latencies) = (0u64, Vec::new());
                let mut n: u128 = 0;
                while !stop.load(Ordering::Relaxed) {
                    let ts = now_ms();
                    let view = run << 96 | (client as u128) << 64 | n;
                    let body = format!(
                        "[{}]",
                        (0..BATCH)
                            .map(|i| event(
                                (client as u128) << 96
                                    | run << 64
                                    | (n << 8)
                                    | i as u128
                                    | 1 << 127,
                                view,
                                ts
                            ))
                            .collect::<Vec<_>>()
                            .join(",")
                    );
                    let t = Instant::now();
                    let status = post(&mut reader, &host, &body)?;
                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                    if status != 202 {
                        return Err(format!("the collector answered {status}"));
                    }
                    sent += BATCH as u64;
                    n += 1;
                }
                Ok((sent, latencies))
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(SECONDS));
    stop.store(true, Ordering::Relaxed);
    let mut events = 0;
    let mut latencies = Vec::new();
    for worker in workers {
        let (sent, mut l) = worker.join().map_err(|_| "a load thread panicked")??;
        events += sent;
        latencies.append(&mut l);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let dashboard_ms = dashboard_latency(&host, run)?;
    Ok(Figures {
        clients,
        batch: BATCH,
        seconds,
        events,
        events_per_s: events as f64 / seconds,
        ack_p50_ms: percentile(&latencies, 0.5),
        ack_p99_ms: percentile(&latencies, 0.99),
        dashboard_ms,
        db_bytes_per_million: 0.0,
    })
}

/// From a single event's POST to the `update` on the dashboard's stream.
fn dashboard_latency(host: &str, run: u128) -> Result<Vec<f64>> {
    let mut live = TcpStream::connect(host).map_err(|e| e.to_string())?;
    let key = crate::fault_bench::REPORT_KEY;
    write!(live, "GET /v1/live?creator=cr_mayachen HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n")
        .map_err(|e| e.to_string())?;
    live.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut live = BufReader::new(live);
    let mut line = String::new();
    // Past the response headers.
    while live.read_line(&mut line).map_err(|e| e.to_string())? > 0 && line != "\r\n" {
        line.clear();
    }
    let poster = TcpStream::connect(host).map_err(|e| e.to_string())?;
    let mut poster = BufReader::new(poster);
    let mut samples = Vec::new();
    for i in 0..20u128 {
        let sent = Instant::now();
        post(
            &mut poster,
            host,
            &format!("[{}]", event(u128::MAX - (run << 8) - i, i, now_ms())),
        )?;
        loop {
            line.clear();
            if live
                .read_line(&mut line)
                .map_err(|e| format!("the live stream: {e}"))?
                == 0
            {
                return Err("the live stream closed".into());
            }
            if line.trim() == "event: update" {
                break;
            }
        }
        samples.push(sent.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    Ok(samples)
}
