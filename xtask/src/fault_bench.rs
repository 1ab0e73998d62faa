//! Nothing lost under faults, measured: many clients post a known set of
//! unique events (plus duplicates, malformed and invalid ones), retrying as
//! the SDK does, while the platform is killed with SIGKILL and restarted on
//! the same database. At the end every unique event is sent once more: the
//! collector must call each one a duplicate (it was stored), and the report
//! must count each valid one exactly once.
//! Plain std, like the rest of xtask.

use crate::collector_bench::BROWSER;
use crate::Result;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What the run saw.
pub struct Faults {
    pub clients: usize,
    pub kills: usize,
    /// Unique valid events in the set.
    pub unique: u64,
    /// Events posted, retries and duplicates included.
    pub sent: u64,
    /// Unique valid events the collector acknowledged (202, accepted or duplicate).
    pub acknowledged: u64,
    /// Unique events found stored by the final pass (answered duplicate).
    pub stored: u64,
    /// Events the collector called duplicates during the run.
    pub duplicates: u64,
    /// Events stored but filtered as invalid traffic (bots).
    pub filtered: u64,
    /// Events refused with a reason (malformed, a creator not the item's).
    pub rejected: u64,
    /// Acknowledged events the final pass found missing.
    pub lost: u64,
    /// Impressions the report counts, against the unique valid ones.
    pub counted: u64,
    /// The largest resident memory any platform process reached (KiB).
    pub peak_rss_kib: u64,
    pub seconds: f64,
}

const ITEM: &str = "itm_nc_headphones";
const CREATOR: &str = "cr_mayachen";
/// Maya's demo report key (the platform's `seed::DEMO_REPORT_KEYS`): her
/// report is hers alone.
pub(crate) const REPORT_KEY: &str = "vk_1d6f2b3c4e5a6b7c8d9e0f1a2b3c4d5e";
const BOT: &str = "python-requests/2.31";

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

fn event(id: u64, view: u64, kind: &str, creator: &str, ts: u128) -> String {
    format!(
        r#"{{"id":"{:032x}","type":"{kind}","item":"{ITEM}","creator":"{creator}","placement":"faults","page":"https://faults.example/p","ts":{ts},"sdk":"0.1.0","view":"{:032x}"}}"#,
        (1u128 << 120) | id as u128,
        (1u128 << 120) | view as u128
    )
}

/// One batch of the set: its body, the unique valid events in it, and the
/// user agent it is sent with.
struct Batch {
    body: String,
    /// Events in the body, whatever they are.
    events: u64,
    ids: Vec<u64>,
    user_agent: &'static str,
}

/// The set: page views, each an impression and a viewable impression in
/// one batch (as the SDK sends them); every tenth batch also carries an
/// event naming another creator (refused) and a malformed one; every
/// twentieth is a bot's (stored, filtered); every seventh is sent twice.
fn batches(views: u64, per_batch: u64) -> (Vec<Batch>, u64) {
    let ts = now_ms();
    let mut out = Vec::new();
    let mut unique = 0;
    let mut next_id = 0u64;
    let mut view = 0u64;
    let mut n = 0;
    while view < views {
        let bot = n % 20 == 19;
        let mut events = Vec::new();
        let mut ids = Vec::new();
        for _ in 0..per_batch / 2 {
            if view == views {
                break;
            }
            for kind in ["impression", "viewable_impression"] {
                events.push(event(next_id, view, kind, CREATOR, ts));
                if !bot {
                    ids.push(next_id);
                }
                next_id += 1;
            }
            view += 1;
        }
        if n % 10 == 0 {
            events.push(event(
                next_id,
                view + 1_000_000,
                "impression",
                "cr_linxiaoman",
                ts,
            ));
            next_id += 1;
            events.push(r#"{"id":"nope","type":"impression"}"#.to_owned());
        }
        unique += ids.len() as u64;
        let batch = Batch {
            body: format!("[{}]", events.join(",")),
            events: events.len() as u64,
            ids,
            user_agent: if bot { BOT } else { BROWSER },
        };
        if n % 7 == 3 {
            out.push(Batch {
                body: batch.body.clone(),
                events: batch.events,
                ids: batch.ids.clone(),
                user_agent: batch.user_agent,
            });
        }
        out.push(batch);
        n += 1;
    }
    (out, unique)
}

/// An answer: the status and the body.
fn post(host: &str, body: &str, user_agent: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "POST /v1/events HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain\r\nUser-Agent: {user_agent}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let mut text = String::new();
    reader.read_to_string(&mut text)?;
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}

/// `"name":N` in a flat JSON answer.
fn number(json: &str, name: &str) -> u64 {
    json.split(&format!("\"{name}\":"))
        .nth(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The platform, on a fixed address and a database that outlives it.
struct Server {
    binary: PathBuf,
    data: PathBuf,
    listen: String,
    child: Option<Child>,
    /// The store's flags (none: the embedded store in `data`).
    extra: Vec<String>,
}

impl Server {
    fn start(&mut self) -> Result {
        let child = Command::new(&self.binary)
            .args([
                "--client-events",
                "10000000",
                "--listen",
                &self.listen,
                "--data",
            ])
            .arg(&self.data)
            .args(["--www", "www", "--pkg", "pkg"])
            .args(&self.extra)
            .current_dir(crate::root())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting the platform: {e}"))?;
        self.child = Some(child);
        crate::platform::wait_healthy(&format!("http://{}", self.listen))
    }

    /// The process's peak resident memory (KiB), from `/proc`.
    fn peak_rss_kib(&self) -> u64 {
        let Some(child) = &self.child else { return 0 };
        std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0)
    }

    /// SIGKILL: no shutdown, no flush; what was acknowledged must be on disk.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs the fault test: `views` page views (two events each) from
/// `clients` clients, the platform killed `kills` times while they send.
pub fn run(binary: &Path, views: u64, clients: usize, kills: usize) -> Result<Faults> {
    run_on(binary, views, clients, kills, &[], 1)
}

/// The same against `instances` platforms started with `store_args` (the
/// scale configuration's: two instances on one PostgreSQL and ClickHouse):
/// each client sends its batches to the instances in turn and retries on
/// the next one, as a load balancer would; the kills go round the
/// instances, each restarted after its kill.
pub fn run_on(
    binary: &Path,
    views: u64,
    clients: usize,
    kills: usize,
    store_args: &[String],
    instances: usize,
) -> Result<Faults> {
    let data = std::env::temp_dir().join(format!("vitrine-faults-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut servers = Vec::new();
    for _ in 0..instances.max(1) {
        let mut server = Server {
            binary: binary.to_path_buf(),
            data: data.clone(),
            listen: format!("127.0.0.1:{}", crate::platform::free_port()?),
            child: None,
            extra: store_args.to_vec(),
        };
        server.start()?;
        servers.push(server);
    }
    let hosts: Arc<Vec<String>> = Arc::new(servers.iter().map(|s| s.listen.clone()).collect());
    let listen = hosts[0].clone();
    let (set, unique) = batches(views, 20);
    let total = set.len() as u64;
    let set = Arc::new(set);
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let acknowledged = Arc::new(Mutex::new(std::collections::HashSet::new()));
    let counters = Arc::new([const { AtomicU64::new(0) }; 4]); // sent, duplicates, filtered, rejected
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (set, next, done, acknowledged, counters, hosts) = (
                set.clone(),
                next.clone(),
                done.clone(),
                acknowledged.clone(),
                counters.clone(),
                hosts.clone(),
            );
            std::thread::spawn(move || -> Result {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some(batch) = set.get(i) else {
                        return Ok(());
                    };
                    // As the SDK does: retry on a network error or a 5xx,
                    // with a growing backoff; wait out a 429.
                    let mut attempt = 0u32;
                    loop {
                        counters[0].fetch_add(batch.events, Ordering::Relaxed);
                        let host = &hosts[(i + attempt as usize) % hosts.len()];
                        match post(host, &batch.body, batch.user_agent) {
                            Ok((202, answer)) => {
                                counters[1]
                                    .fetch_add(number(&answer, "duplicate"), Ordering::Relaxed);
                                counters[2]
                                    .fetch_add(number(&answer, "filtered"), Ordering::Relaxed);
                                counters[3]
                                    .fetch_add(number(&answer, "rejected"), Ordering::Relaxed);
                                let mut acked =
                                    acknowledged.lock().unwrap_or_else(|p| p.into_inner());
                                acked.extend(batch.ids.iter().copied());
                                break;
                            }
                            Ok((429, _)) => std::thread::sleep(Duration::from_millis(500)),
                            Ok((status, _)) if status < 500 => {
                                return Err(format!("the collector answered {status} to a batch"))
                            }
                            _ => {
                                attempt += 1;
                                if attempt > 60 {
                                    return Err("a batch was never acknowledged".into());
                                }
                                let backoff = (50u64 << attempt.min(5)).min(1000);
                                std::thread::sleep(Duration::from_millis(backoff));
                            }
                        }
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // The killer: SIGKILL at even steps through the run, then a restart.
    let mut peak = 0;
    let mut killed = 0;
    while killed < kills && !stop.load(Ordering::Relaxed) {
        let at = total * (killed as u64 + 1) / (kills as u64 + 1);
        while done.load(Ordering::Relaxed) < at && started.elapsed() < Duration::from_secs(120) {
            std::thread::sleep(Duration::from_millis(2));
        }
        let server = &mut servers[killed % instances.max(1)];
        peak = peak.max(server.peak_rss_kib());
        server.kill();
        killed += 1;
        std::thread::sleep(Duration::from_millis(200));
        server.start()?;
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().map_err(|_| "a client thread panicked")??;
    }
    let seconds = started.elapsed().as_secs_f64();
    // Every unique valid event again: stored ones are duplicates now; one
    // the collector takes as new was acknowledged but lost.
    let ts = now_ms();
    let acknowledged = acknowledged.lock().unwrap_or_else(|p| p.into_inner()).len() as u64;
    let ids: Vec<u64> = set
        .iter()
        .flat_map(|b| b.ids.iter().copied())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let (mut stored, mut lost) = (0, 0);
    for chunk in ids.chunks(100) {
        let body = format!(
            "[{}]",
            chunk
                .iter()
                .map(|&id| event(
                    id,
                    id / 2,
                    if id % 2 == 0 {
                        "impression"
                    } else {
                        "viewable_impression"
                    },
                    CREATOR,
                    ts
                ))
                .collect::<Vec<_>>()
                .join(",")
        );
        let (status, answer) = post(&listen, &body, BROWSER).map_err(|e| e.to_string())?;
        if status != 202 {
            return Err(format!("the final pass got {status}"));
        }
        stored += number(&answer, "duplicate");
        lost += number(&answer, "accepted");
    }
    let report = get(
        &listen,
        &format!(
            "/v1/reports?item={ITEM}&bucket=hour&from={}&to={}",
            ts - 3_600_000,
            ts + 60_000
        ),
    )?;
    let totals = report.split("\"totals\":").nth(1).unwrap_or_default();
    let counted = number(totals, "impressions");
    for server in &mut servers {
        peak = peak.max(server.peak_rss_kib());
        server.kill();
    }
    let _ = std::fs::remove_dir_all(&data);
    Ok(Faults {
        clients,
        kills,
        unique,
        sent: counters[0].load(Ordering::Relaxed),
        acknowledged,
        stored,
        duplicates: counters[1].load(Ordering::Relaxed),
        filtered: counters[2].load(Ordering::Relaxed),
        rejected: counters[3].load(Ordering::Relaxed),
        lost,
        counted,
        peak_rss_kib: peak,
        seconds,
    })
}

fn get(host: &str, path: &str) -> Result<String> {
    let mut stream = TcpStream::connect(host).map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {REPORT_KEY}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut text = String::new();
    stream
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    Ok(text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned())
}

impl Faults {
    /// Prints the figures; fails if anything acknowledged was lost or
    /// counted twice.
    pub fn check(&self) -> Result {
        println!(
            "\nFaults: {} clients, the platform SIGKILLed and restarted {} times mid-run ({:.1} s):\n",
            self.clients, self.kills, self.seconds
        );
        for (name, value) in [
            ("unique valid events", self.unique),
            ("events sent (retries, duplicates included)", self.sent),
            ("acknowledged (unique)", self.acknowledged),
            ("stored (found by the final pass)", self.stored),
            ("duplicates the collector recognised", self.duplicates),
            ("filtered (bots), stored apart", self.filtered),
            ("rejected with a reason", self.rejected),
            ("lost", self.lost),
            ("impressions the report counts", self.counted),
            (
                "peak resident memory of the platform (KiB)",
                self.peak_rss_kib,
            ),
        ] {
            println!("{name:<46} {value:>10}");
        }
        let impressions = self.unique / 2;
        if self.lost != 0 || self.acknowledged != self.unique || self.stored != self.unique {
            return Err(format!(
                "faults: {} acknowledged, {} stored, {} lost of {} unique events",
                self.acknowledged, self.stored, self.lost, self.unique
            ));
        }
        if self.counted != impressions {
            return Err(format!(
                "faults: the report counts {} impressions, not {impressions}",
                self.counted
            ));
        }
        Ok(())
    }
}
