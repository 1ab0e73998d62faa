//! `cargo xtask <task>`: the project's whole tool chain, runnable on a fresh
//! machine. Every task first installs what it is missing, idempotently:
//! the wasm32 target, wasm-bindgen-cli at exactly the Cargo.lock version
//! (into `.tools/`), npm packages from committed lockfiles (binaryen's
//! wasm-opt for the build; playwright-core and axe-core for tests), and
//! Debian packages for tests (chromium, chromium-driver, fonts, brotli).
//!
//! Plain `std` only: xtask must compile before anything else is installed.

mod browser_bench;
mod clickhouse;
mod collector_bench;
mod fault_bench;
mod fuzz;
#[cfg(test)]
mod layers;
mod platform;
mod postgres;
mod scale_demo;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  build            build the npm package into pkg/ (wasm-bindgen glue, wasm-opt'd .wasm, types)
  demo [ADDR]      build, then serve the demo on ADDR (default 127.0.0.1:8080) with a seeded database
  demo --scale [ADDR]
                   the same on the scale configuration: PostgreSQL, ClickHouse, two instances
                   behind nginx at ADDR, all on loopback under target/scale-demo (Ctrl-C stops all)
  test [PART]      every test: fmt, clippy, native, the shell's units, wasm in Chromium,
                   end-to-end in Chromium; `cargo xtask test help` lists the parts
  fuzz [--seconds N] [TARGET...]
                   the libFuzzer targets in fuzz/ (item, link, event, proof, plan), 60 s each
                   by default, from the seeds in fuzz/seeds/ and the corpus of earlier runs
  bench            build, then measure: shipped bytes (and a peer's), collector throughput,
                   the fault run, time to first card against a plain-JS floor, many cards,
                   layout shift (`bench collector`: only the collector and the fault run;
                   `bench load HOST:PORT [CLIENTS]`: the collector's load against a running platform or
                   proxy, which must allow it: --client-events)";

pub type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => build().map(|_| ()),
        Some("demo") if args.get(1).is_some_and(|a| a == "--scale") => {
            scale_demo::demo(args.get(2).map(String::as_str).unwrap_or("127.0.0.1:8080"))
        }
        Some("demo") => demo(args.get(1).map(String::as_str).unwrap_or("127.0.0.1:8080")),
        Some("test") => test(&args[1..]),
        Some("fuzz") => fuzz::command(&args[1..]),
        Some("bench") if args.get(1).is_some_and(|a| a == "collector") => bench_collector(),
        Some("bench") if args.get(1).is_some_and(|a| a == "load") => match args.get(2) {
            Some(host) => collector_bench::load_with(
                host.trim_start_matches("http://"),
                args.get(3).and_then(|n| n.parse().ok()).unwrap_or(8),
            )
            .map(|f| {
                println!(
                    "{} events in {:.1} s: {:.0} events/s, ack p50 {:.2} ms, p99 {:.2} ms; event → live-stream median {:.1} ms",
                    f.events,
                    f.seconds,
                    f.events_per_s,
                    f.ack_p50_ms,
                    f.ack_p99_ms,
                    f.dashboard_ms.get(f.dashboard_ms.len() / 2).copied().unwrap_or(0.0)
                )
            }),
            None => Err("usage: cargo xtask bench load HOST:PORT [CLIENTS]".into()),
        },
        Some("bench") => bench(),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

/// Runs a command in the workspace root, echoing it; fails on a non-zero exit.
pub fn run(cmd: &mut Command) -> Result {
    eprintln!("$ {}", describe(cmd));
    let status = cmd
        .current_dir_if_unset()
        .status()
        .map_err(|e| format!("{}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

trait CurrentDir {
    fn current_dir_if_unset(&mut self) -> &mut Self;
}

impl CurrentDir for Command {
    fn current_dir_if_unset(&mut self) -> &mut Self {
        if self.get_current_dir().is_none() {
            self.current_dir(root());
        }
        self
    }
}

pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

const WASM_FEATURES: &[&str] = &[
    // The release profile keeps no target_features section for wasm-opt to
    // read, so the features rustc 1.95 emits are named here. Never
    // --all-features: the output would use proposals browsers reject.
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
];

/// The SDK's wasm builds: cargo features, and the name of the glue module
/// (`NAME.js`, with `NAME_bg.wasm`).
pub const WASM_BUILDS: [(&str, &str); 2] = [
    ("standalone,card", "vitrine_wasm"),
    ("standalone,proof", "vitrine_proof_wasm"),
];

/// Builds `pkg/`: a complete npm package. Returns its path.
fn build() -> Result<PathBuf> {
    tools::ensure_build_tools()?;
    let root = root();
    let bindgen_out = root.join("target/wasm-bindgen");
    let _ = std::fs::remove_dir_all(&bindgen_out);
    let pkg = root.join("pkg");
    let _ = std::fs::remove_dir_all(&pkg);
    std::fs::create_dir_all(&pkg).map_err(|e| e.to_string())?;
    // Two wasm builds of the SDK crate: the card's (card and follow button,
    // what most pages load) and the strip's (loaded only where a
    // <vitrine-proof> is), each with its own glue.
    for (features, name) in WASM_BUILDS {
        run(cargo().args([
            "build",
            "--package",
            "vitrine",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
            "--features",
            features,
        ]))?;
        let raw = root.join("target/wasm32-unknown-unknown/wasm-release/vitrine.wasm");
        run(Command::new(tools::wasm_bindgen())
            .args([
                "--target",
                "web",
                "--out-name",
                name,
                "--no-typescript",
                "--out-dir",
            ])
            .arg(&bindgen_out)
            .arg(&raw))?;
        let wasm = format!("{name}_bg.wasm");
        run(Command::new(tools::wasm_opt())
            // --converge runs -Oz until it stops shrinking (about 70 B gzip
            // more); the target_features section is for tools, not browsers
            // (148 B). Not -tnh: a trap is how a bug stays inside the wasm.
            .args([
                "-Oz",
                "--converge",
                "--strip-debug",
                "--strip-producers",
                "--strip-target-features",
            ])
            .args(WASM_FEATURES)
            .arg(bindgen_out.join(&wasm))
            .arg("-o")
            .arg(pkg.join(&wasm)))?;
    }
    // The shell and the glue become one minified module: one request, and
    // about 2.7 KB gzip less than shipping them as written.
    // Each element's look (src/NAME.css minified, src/NAME.html) goes into
    // the shell in place of "__VITRINE_NAME_CSS__" and "__VITRINE_NAME_HTML__".
    let mut looks = Vec::new();
    // (The open-in-browser sheet has no markup file: its chunk builds its
    // few nodes itself, since it cannot reach the shell's Trusted Types
    // policy for markup.)
    for name in ["card", "follow", "proof", "sheet"] {
        let upper = name.to_uppercase();
        let css = esbuild_css(&root.join(format!("src/{name}.css")))?;
        looks.push((format!("\"__VITRINE_{upper}_CSS__\""), js_string(&css)));
        let html = root.join(format!("src/{name}.html"));
        if name != "sheet" {
            looks.push((
                format!("\"__VITRINE_{upper}_HTML__\""),
                js_string(read(&html)?.trim()),
            ));
        }
    }
    // The plan's separators and each element's header names, from their one
    // definition in the core (vitrine_core::plan).
    use vitrine_core::follow::{INTENT_NONCE, INTENT_ORIGIN};
    use vitrine_core::plan::{CardField, FollowField, ProofField, RS, US};
    // What a click appends to a follow intent (vitrine_core::follow).
    looks.push((
        "\"__VITRINE_INTENT_NONCE__\"".into(),
        js_string(INTENT_NONCE),
    ));
    looks.push((
        "\"__VITRINE_INTENT_ORIGIN__\"".into(),
        js_string(INTENT_ORIGIN),
    ));
    // The share of an element in view that viewability counts from
    // (vitrine_core::viewable), for the shell's intersection thresholds.
    looks.push((
        "\"__VITRINE_VIEWABLE_RATIO__\"".into(),
        vitrine_core::viewable::MIN_RATIO.to_string(),
    ));
    looks.push(("\"__VITRINE_PLAN_RS__\"".into(), js_string(&RS.to_string())));
    looks.push(("\"__VITRINE_PLAN_US__\"".into(), js_string(&US.to_string())));
    for (name, fields) in [
        ("CARD", CardField::FIELDS),
        ("FOLLOW", FollowField::FIELDS),
        ("PROOF", ProofField::FIELDS),
    ] {
        let names: Vec<String> = fields.iter().map(|f| js_string(f)).collect();
        looks.push((
            format!("\"__VITRINE_{name}_FIELDS__\""),
            format!("[{}]", names.join(",")),
        ));
    }
    let template = root.join("pkg-template");
    for entry in std::fs::read_dir(&template).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name();
        let mut text = read(&entry.path())?.replace("0.0.0-workspace", env!("CARGO_PKG_VERSION"));
        for (placeholder, value) in &looks {
            text = text.replace(placeholder, value);
        }
        // The shell's modules are bundled from beside the glue they import;
        // only the one-tag loader and the package's own files ship as written.
        let shipped_as_is = name == "vitrine.embed.js" || !name.to_string_lossy().ends_with(".js");
        let dir = if shipped_as_is { &pkg } else { &bindgen_out };
        std::fs::write(dir.join(&name), text).map_err(|e| e.to_string())?;
    }
    // The strip's code is imported only when a strip mounts: its own chunk
    // (`vitrine-proof.js`, with its glue), which a page of cards never fetches.
    run(Command::new(tools::esbuild())
        .arg(bindgen_out.join("vitrine.js"))
        .args([
            "--bundle",
            "--splitting",
            "--format=esm",
            "--minify",
            "--target=es2022",
            "--chunk-names=[name]",
            "--log-level=warning",
        ])
        .arg(format!("--outdir={}", pkg.display())))?;
    eprintln!("xtask: built {}", pkg.display());
    Ok(pkg)
}

/// `card.css`, minified by esbuild (comments and whitespace out).
pub(crate) fn esbuild_css(path: &Path) -> Result<String> {
    let out = Command::new(tools::esbuild())
        .arg(path)
        .args(["--minify", "--log-level=warning"])
        .output()
        .map_err(|e| format!("esbuild: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "esbuild {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout)
        .map_err(|e| e.to_string())
        .map(|css| css.trim().to_string())
}

pub(crate) fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `text` as a JavaScript string literal.
pub(crate) fn js_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn demo(listen: &str) -> Result {
    build()?;
    run(cargo().args(["build", "--release", "--package", "vitrine-platform"]))?;
    let root = root();
    let data = root.join("target/demo-data");
    eprintln!("xtask: starting the platform; open the URL below (Ctrl-C stops it)");
    run(Command::new(root.join("target/release/vitrine-platform"))
        .args(["--listen", listen, "--data"])
        .arg(&data)
        .arg("--www")
        .arg(root.join("www"))
        .arg("--pkg")
        .arg(root.join("pkg")))
}

/// The parts of `cargo xtask test`, in the order the whole run takes them;
/// `cargo xtask test PART [ARGS]` runs one.
const TEST_PARTS: &str = "parts of `cargo xtask test` (each runnable alone):
  lint                  cargo fmt --check, clippy (native, wasm as tested, each shipped wasm build)
  native [ARGS]         cargo test --workspace [ARGS] (core, SDK plans, platform, xtask)
  shell [FILE]          the JS shell's unit tests (node:test, tests/shell/)
  wasm                  the SDK's browser seam, compiled to wasm, in headless Chromium
  e2e [FILE...] [-- ARGS]  build, start the platform, run the end-to-end suites in Chromium
                        (all, or e.g. `card` / `tests/e2e/card.test.mjs`; ARGS go to node --test,
                        e.g. `-- --test-name-pattern=layout`)
  fuzz                  every fuzz target for 10 s (a crash fails the run)
  bench                 the benchmark harness in its quick mode (it must keep working)";

fn test(args: &[String]) -> Result {
    let (part, rest) = match args.split_first() {
        Some((part, rest)) => (part.as_str(), rest),
        None => ("all", &[][..]),
    };
    match part {
        "all" => {
            tools::ensure_test_tools()?;
            test_lint()?;
            test_native(&[])?;
            test_shell(&[])?;
            test_wasm()?;
            test_e2e(&[])?;
            test_fuzz()?;
            test_bench()?;
            eprintln!("xtask: all tests passed");
            Ok(())
        }
        "lint" => tools::ensure_build_tools().and_then(|_| test_lint()),
        "native" => test_native(rest),
        "shell" => test_shell(rest),
        "wasm" => tools::ensure_test_tools().and_then(|_| test_wasm()),
        "e2e" => tools::ensure_test_tools().and_then(|_| test_e2e(rest)),
        "fuzz" => test_fuzz(),
        "bench" => tools::ensure_test_tools().and_then(|_| test_bench()),
        "help" | "--help" => {
            println!("{TEST_PARTS}");
            Ok(())
        }
        _ => Err(TEST_PARTS.to_string()),
    }
}

fn test_lint() -> Result {
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo()
        .args(["fmt", "--check", "--manifest-path"])
        .arg(root().join("fuzz/Cargo.toml")))?;
    // Lints for native code, for the wasm as tests build it (with std), and
    // for each wasm build as it ships (no std, `standalone`).
    let wasm = ["--package", "vitrine", "--target", "wasm32-unknown-unknown"];
    let lints = [
        vec!["--workspace", "--all-targets"],
        [&wasm[..], &["--all-targets", "--features", "card,proof"]].concat(),
    ]
    .into_iter()
    .chain(
        WASM_BUILDS
            .iter()
            .map(|(features, _)| [&wasm[..], &["--features", features]].concat()),
    );
    for target in lints {
        run(cargo()
            .arg("clippy")
            .args(target)
            .args(["--", "-D", "warnings"]))?;
    }
    Ok(())
}

/// A short pass of every fuzz target: a crash fails the run.
fn test_fuzz() -> Result {
    fuzz::fuzz(10, &[]).map(|_| ())
}

/// Native: the core, the SDK's plans, the platform, xtask; the platform's
/// store contracts against a PostgreSQL and a ClickHouse started for them.
fn test_native(args: &[String]) -> Result {
    let postgres = postgres::Postgres::start("test-postgres")?;
    eprintln!("xtask: PostgreSQL for the tests at {}", postgres.url);
    let clickhouse = clickhouse::ClickHouse::start("test-clickhouse")?;
    eprintln!("xtask: ClickHouse for the tests at {}", clickhouse.url);
    run(cargo()
        .args(["test", "--workspace"])
        .args(args)
        .env("VITRINE_TEST_POSTGRES", &postgres.url)
        .env("VITRINE_TEST_CLICKHOUSE", &clickhouse.url))?;
    // The platform's tests again, on the scale configuration's store.
    if args.is_empty() {
        eprintln!(
            "xtask: the platform's tests on the scale configuration (PostgreSQL + ClickHouse)"
        );
        run(cargo()
            .args(["test", "--package", "vitrine-platform"])
            .env("VITRINE_TEST_STORE", "scale")
            .env("VITRINE_TEST_POSTGRES", &postgres.url)
            .env("VITRINE_TEST_CLICKHOUSE", &clickhouse.url))?;
    }
    Ok(())
}

/// The shell's pure parts, in node (no browser, no build).
fn test_shell(files: &[String]) -> Result {
    let dir = root().join("tests/shell");
    let files: Vec<PathBuf> = if files.is_empty() {
        suites(&dir, ".test.mjs")?
    } else {
        files.iter().map(|f| suite_path(&dir, f)).collect()
    };
    if files.is_empty() {
        return Ok(());
    }
    run(Command::new("node").arg("--test").args(&files))
}

/// The DOM layer, compiled to wasm, in headless Chromium.
fn test_wasm() -> Result {
    run(cargo()
        .args([
            "test",
            "--package",
            "vitrine",
            "--target",
            "wasm32-unknown-unknown",
            "--features",
            "card,proof",
        ])
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            tools::wasm_bindgen_test_runner(),
        )
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120"))
}

/// End to end: the built package, served by the platform, in Chromium.
/// `args`: suite files (or their names: `card`), then after `--` what
/// node's test runner is given.
fn test_e2e(args: &[String]) -> Result {
    let root = root();
    let e2e = root.join("tests/e2e");
    let (files, node_args) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let suites: Vec<PathBuf> = if files.is_empty() {
        suites(&e2e, ".test.mjs")?
    } else {
        files.iter().map(|f| suite_path(&e2e, f)).collect()
    };
    if let Some(missing) = suites.iter().find(|s| !s.exists()) {
        return Err(format!("no such suite: {}", missing.display()));
    }
    build()?;
    run(cargo().args(["build", "--package", "vitrine-platform"]))?;
    let binary = root.join("target/debug/vitrine-platform");
    let suite = |server: &platform::Platform| {
        run(Command::new("node")
            .args(["--test", "--test-concurrency=1"])
            .args(node_args)
            .args(&suites)
            .env("VITRINE_URL", &server.url)
            .env("VITRINE_ARTIFACTS", root.join("target/e2e"))
            .current_dir(&e2e))
    };
    eprintln!("xtask: the end-to-end suites on the embedded store (SQLite)");
    let server = platform::Platform::start(&binary)?;
    let embedded = suite(&server);
    drop(server);
    embedded?;
    // And again on the scale configuration's store, servers of its own.
    eprintln!("xtask: the end-to-end suites on the scale store (PostgreSQL + ClickHouse)");
    let postgres = postgres::Postgres::start("e2e-postgres")?;
    let clickhouse = clickhouse::ClickHouse::start("e2e-clickhouse")?;
    let clickhouse_url = format!("{}/?database=vitrine", clickhouse.url);
    let server = platform::Platform::start_with(
        &binary,
        &root.join("www"),
        &[
            "--test-fixtures",
            "--store",
            "scale",
            "--postgres",
            &postgres.url,
            "--clickhouse",
            &clickhouse_url,
        ],
    )?;
    let scale = suite(&server);
    drop(server);
    scale
}

/// The benchmark harness, a few runs of each: it must keep working.
fn test_bench() -> Result {
    let root = root();
    if !root.join("pkg/vitrine.js").exists() {
        build()?;
    }
    run(cargo().args(["build", "--package", "vitrine-platform"]))?;
    let platform = root.join("target/debug/vitrine-platform");
    // Acknowledged events survive SIGKILL, exactly once: a test, not only a figure.
    fault_bench::run(&platform, 2_000, 8, 2)?.check()?;
    // The same with two instances of the scale configuration, each killed
    // and restarted in turn while clients retry on the other.
    println!("\nThe scale configuration, two instances (PostgreSQL + ClickHouse):");
    scale_faults(&platform, 2_000, 8, 2)?.check()?;
    browser_bench::run_bench(&platform, true).map(|_| ())
}

/// The fault run on two scale instances sharing a PostgreSQL and a
/// ClickHouse of the run's own.
fn scale_faults(
    platform: &Path,
    views: u64,
    clients: usize,
    kills: usize,
) -> Result<fault_bench::Faults> {
    let postgres = postgres::Postgres::start("faults-postgres")?;
    let clickhouse = clickhouse::ClickHouse::start("faults-clickhouse")?;
    let store = [
        "--store".to_owned(),
        "scale".to_owned(),
        "--postgres".to_owned(),
        postgres.url.clone(),
        "--clickhouse".to_owned(),
        format!("{}/?database=vitrine", clickhouse.url),
    ];
    fault_bench::run_on(platform, views, clients, kills, &store, 2)
}

/// The files in `dir` whose names end with `suffix`, sorted.
fn suites(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    Ok(files)
}

/// A suite named on the command line: a path, a file name in `dir`, or
/// its name without `.test.mjs`.
fn suite_path(dir: &Path, name: &str) -> PathBuf {
    let given = Path::new(name);
    if given.exists() {
        return std::fs::canonicalize(given).unwrap_or_else(|_| given.to_path_buf());
    }
    let file = if name.ends_with(".mjs") {
        name.to_owned()
    } else {
        format!("{name}.test.mjs")
    };
    dir.join(Path::new(&file).file_name().unwrap_or_default())
}

/// `cargo xtask bench collector`: only the collector's figures and the
/// fault run (a release build, no browser), for working on the collector.
fn bench_collector() -> Result {
    run(cargo().args(["build", "--release", "--package", "vitrine-platform"]))?;
    let binary = root().join("target/release/vitrine-platform");
    collector_side_by_side(&binary)?;
    fault_bench::run(&binary, 20_000, 16, 3)?.check()?;
    println!("\nThe scale configuration, two instances (PostgreSQL + ClickHouse):");
    scale_faults(&binary, 20_000, 16, 3)?.check()
}

/// The collector under the same load on the embedded configuration, on
/// one instance of the scale configuration, and on the scale set-up's two
/// instances through nginx, printed side by side. Returns the embedded
/// figures (the report's).
fn collector_side_by_side(binary: &Path) -> Result<collector_bench::Figures> {
    let embedded = collector_bench::run(binary)?;
    let set = scale_demo::ScaleSet::start(
        "bench-scale",
        &format!("127.0.0.1:{}", platform::free_port()?),
        &["--client-events", "10000000"],
        false,
    )?;
    let one = collector_bench::load(&set.instances[0])?;
    let both = collector_bench::load(set.url.trim_start_matches("http://"))?;
    drop(set);
    let c = &embedded;
    println!(
        "\nCollector on loopback ({} clients, batches of {} events, {:.1} s each; exact counts, 202 only once durable):\n",
        c.clients, c.batch, c.seconds
    );
    println!(
        "{:<38} {:>14} {:>14} {:>16}",
        "", "embedded", "scale, one", "scale, 2 + nginx"
    );
    let row = |name: &str, f: &dyn Fn(&collector_bench::Figures) -> f64, digits: usize| {
        println!(
            "{name:<38} {:>14.digits$} {:>14.digits$} {:>16.digits$}",
            f(&embedded),
            f(&one),
            f(&both)
        );
    };
    row("events accepted", &|f| f.events as f64, 0);
    row("sustained ingest (events/s)", &|f| f.events_per_s, 0);
    row("ack latency p50 (ms)", &|f| f.ack_p50_ms, 2);
    row("ack latency p99 (ms)", &|f| f.ack_p99_ms, 2);
    let live = |f: &collector_bench::Figures, at: f64| {
        let d = &f.dashboard_ms;
        d.get(((d.len() as f64 - 1.0) * at) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    row("event → live-stream update min (ms)", &|f| live(f, 0.0), 1);
    row(
        "event → live-stream update median (ms)",
        &|f| live(f, 0.5),
        1,
    );
    row("event → live-stream update max (ms)", &|f| live(f, 1.0), 1);
    println!(
        "{:<38} {:>14.0}",
        "database bytes per million events", embedded.db_bytes_per_million
    );
    Ok(embedded)
}

fn bench() -> Result {
    tools::ensure_bench_tools()?;
    let pkg = build()?;
    let mut rows = Vec::new();
    let mut pages = Vec::new();
    let mut totals = Vec::new();
    println!("\nBytes a page downloads for Vitrine (pkg/):\n");
    println!(
        "{:<44} {:>10} {:>10} {:>12}",
        "file", "raw", "gzip -9", "brotli -q 11"
    );
    for (page, files) in PAGES {
        let mut total = (0, 0, 0);
        for name in files {
            let path = pkg.join(name);
            let raw = std::fs::metadata(&path).map_err(|e| e.to_string())?.len();
            let gz = compressed_len(Command::new("gzip").args(["-9", "-c"]).arg(&path))?;
            let br = compressed_len(Command::new("brotli").args(["-q", "11", "-c"]).arg(&path))?;
            println!("{name:<44} {raw:>10} {gz:>10} {br:>12}");
            if !rows
                .iter()
                .any(|r: &String| r.contains(&format!(r#""file":"{name}""#)))
            {
                rows.push(format!(
                    r#"{{"file":"{name}","raw":{raw},"gzip":{gz},"brotli":{br}}}"#
                ));
            }
            total = (total.0 + raw, total.1 + gz, total.2 + br);
        }
        println!(
            "{:<44} {:>10} {:>10} {:>12}\n",
            format!("total, {page}"),
            total.0,
            total.1,
            total.2
        );
        pages.push(format!(
            r#"{{"page":"{page}","raw":{},"gzip":{},"brotli":{}}}"#,
            total.0, total.1, total.2
        ));
        totals.push(total);
    }
    // The budget is for the first kind of page: a page of cards (links,
    // beacons and the card's follow link included).
    let (raw_total, gz_total, br_total) = totals[0];
    println!("\nbudget: 20480 bytes gzip for a page of cards (card, links, beacons)");
    let peer = peer_sizes()?;
    println!(
        "peer: {PEER} dist/buybutton.min.js {} raw, {} gzip, {} brotli ({:.1}× Vitrine's gzip)",
        peer.0,
        peer.1,
        peer.2,
        peer.1 as f64 / gz_total as f64
    );

    run(cargo().args(["build", "--release", "--package", "vitrine-platform"]))?;
    let binary = root().join("target/release/vitrine-platform");
    let c = collector_side_by_side(&binary)?;
    let d = &c.dashboard_ms;
    let faults = fault_bench::run(
        &root().join("target/release/vitrine-platform"),
        20_000,
        16,
        3,
    )?;
    faults.check()?;
    println!("\nThe scale configuration, two instances (PostgreSQL + ClickHouse):");
    scale_faults(
        &root().join("target/release/vitrine-platform"),
        20_000,
        16,
        3,
    )?
    .check()?;
    let browser = browser_bench::run_bench(&root().join("target/release/vitrine-platform"), false)?;
    let report = root().join("target/bench");
    std::fs::create_dir_all(&report).map_err(|e| e.to_string())?;
    let json = format!(
        r#"{{"sizes":[{}],"pages":[{}],"total":{{"raw":{raw_total},"gzip":{gz_total},"brotli":{br_total}}},"budget_gzip":20480,"peer":{{"package":"{PEER}","file":"dist/buybutton.min.js","raw":{},"gzip":{},"brotli":{}}},"collector":{{"events_per_s":{:.0},"ack_p50_ms":{:.2},"ack_p99_ms":{:.2},"live_update_median_ms":{:.1},"db_bytes_per_million":{:.0}}},"faults":{{"unique":{},"sent":{},"acknowledged":{},"stored":{},"duplicates":{},"filtered":{},"rejected":{},"lost":{},"counted":{},"kills":{},"peak_rss_kib":{}}},"browser":{browser}}}"#,
        rows.join(","),
        pages.join(","),
        peer.0,
        peer.1,
        peer.2,
        c.events_per_s,
        c.ack_p50_ms,
        c.ack_p99_ms,
        d.get(d.len() / 2).copied().unwrap_or(0.0),
        c.db_bytes_per_million,
        faults.unique,
        faults.sent,
        faults.acknowledged,
        faults.stored,
        faults.duplicates,
        faults.filtered,
        faults.rejected,
        faults.lost,
        faults.counted,
        faults.kills,
        faults.peak_rss_kib
    );
    std::fs::write(report.join("report.json"), json).map_err(|e| e.to_string())?;
    println!("wrote target/bench/report.json");
    Ok(())
}

/// What each kind of page downloads of the SDK: a page of cards (the
/// budget's case), one with follow buttons as well (their chunk), the same
/// pasted as the one-tag embed (its loader first), and a store page with only
/// the strip.
const PAGES: [(&str, &[&str]); 4] = [
    ("a page of cards", &["vitrine.js", "vitrine_wasm_bg.wasm"]),
    (
        "cards and follow buttons",
        &["vitrine.js", "vitrine-follow.js", "vitrine_wasm_bg.wasm"],
    ),
    (
        "the same, by the one-tag embed",
        &[
            "vitrine.embed.js",
            "vitrine.js",
            "vitrine-follow.js",
            "vitrine_wasm_bg.wasm",
        ],
    ),
    (
        "a store page's strip",
        &[
            "vitrine.js",
            "vitrine-proof.js",
            "vitrine_proof_wasm_bg.wasm",
        ],
    ),
];

/// The peer the size is compared with, pinned.
const PEER: &str = "@shopify/buy-button-js@3.0.6";
/// Its tarball's integrity, as the registry publishes it.
const PEER_INTEGRITY: &str =
    "sha512-igPl+xyVHVTZ0xRhTOuZC6h2kHgRE/gnPNkGR3bb9kRz/cx4Pc4mYIpmQOMzmsdv7aJ9uH5w/hVRquV71eGTww==";

/// The peer's script, fetched from the npm registry once (its tarball only:
/// none of its dependencies), checked, and measured: raw, gzip, brotli.
fn peer_sizes() -> Result<(u64, u64, u64)> {
    let dir = root().join("target/bench/peer");
    let script = dir.join("package/dist/buybutton.min.js");
    if !script.exists() {
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let out = Command::new("npm")
            .args(["pack", PEER, "--json"])
            .current_dir(&dir)
            .output()
            .map_err(|e| format!("npm pack: {e}"))?;
        let json = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || !json.contains(PEER_INTEGRITY) {
            return Err(format!("npm pack {PEER} failed or its integrity differs"));
        }
        run(Command::new("tar")
            .args([
                "xzf",
                "shopify-buy-button-js-3.0.6.tgz",
                "package/dist/buybutton.min.js",
            ])
            .current_dir(&dir))?;
    }
    let raw = std::fs::metadata(&script).map_err(|e| e.to_string())?.len();
    let gz = compressed_len(Command::new("gzip").args(["-9", "-c"]).arg(&script))?;
    let br = compressed_len(Command::new("brotli").args(["-q", "11", "-c"]).arg(&script))?;
    Ok((raw, gz, br))
}

fn compressed_len(cmd: &mut Command) -> Result<u64> {
    let out = cmd
        .output()
        .map_err(|e| format!("{}: {e}", describe(cmd)))?;
    if !out.status.success() {
        return Err(format!("`{}` failed", describe(cmd)));
    }
    Ok(out.stdout.len() as u64)
}
