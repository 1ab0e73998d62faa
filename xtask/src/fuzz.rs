//! `cargo xtask fuzz [--seconds N] [TARGET…]`: the libFuzzer targets in
//! `fuzz/`, each for a bounded time, from the seeds in `fuzz/seeds/TARGET`
//! (inputs the tests use) and the corpus earlier runs grew
//! (`target/fuzz/corpus/TARGET`). Built the way `cargo fuzz` builds them,
//! on the stable toolchain: the same coverage instrumentation, no
//! sanitizer (the code is safe Rust; panics, overflows and failed
//! assertions are what the targets look for). A crash is kept under
//! `target/fuzz/artifacts/TARGET/` and fails the run; each one found
//! becomes a regression test beside the code it broke.

use crate::{cargo, root, run, Result};
use std::path::PathBuf;
use std::process::Command;

/// Every target, in `fuzz/Cargo.toml`'s order.
pub const TARGETS: &[&str] = &["item", "link", "event", "proof", "plan"];

/// The flags `cargo fuzz build -s none` gives rustc (cargo-fuzz 0.13).
const COVERAGE_FLAGS: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    -Cllvm-args=-sanitizer-coverage-stack-depth \
    --cfg fuzzing -Cdebug-assertions -Coverflow-checks";

fn fuzz_dir() -> PathBuf {
    root().join("fuzz")
}

fn target_dir() -> PathBuf {
    root().join("target/fuzz")
}

/// Builds every target (libFuzzer itself needs a C++ compiler).
fn build() -> Result {
    crate::tools::ensure_debian(&["g++"])?;
    let host = host_triple()?;
    run(cargo()
        .args(["build", "--release", "--bins", "--manifest-path"])
        .arg(fuzz_dir().join("Cargo.toml"))
        .args(["--target", &host, "--target-dir"])
        .arg(target_dir())
        .env("RUSTFLAGS", COVERAGE_FLAGS))
}

fn host_triple() -> Result<String> {
    let out = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("-vV")
        .output()
        .map_err(|e| format!("rustc -vV: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .ok_or_else(|| "rustc -vV names no host".into())
}

/// Runs `targets` (all when empty) for `seconds` each; what each did.
pub fn fuzz(seconds: u64, targets: &[String]) -> Result<Vec<(String, String)>> {
    let chosen: Vec<String> = if targets.is_empty() {
        TARGETS.iter().map(|t| t.to_string()).collect()
    } else {
        targets.to_vec()
    };
    for t in &chosen {
        if !TARGETS.contains(&t.as_str()) {
            return Err(format!(
                "no fuzz target {t}: the targets are {}",
                TARGETS.join(", ")
            ));
        }
    }
    build()?;
    let host = host_triple()?;
    let mut figures = Vec::new();
    for t in &chosen {
        let corpus = target_dir().join("corpus").join(t);
        let artifacts = target_dir().join("artifacts").join(t);
        std::fs::create_dir_all(&corpus).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(&artifacts).map_err(|e| e.to_string())?;
        let binary = target_dir().join(&host).join("release").join(t);
        let mut cmd = Command::new(&binary);
        cmd.arg(format!("-max_total_time={seconds}"))
            .arg(format!("-artifact_prefix={}/", artifacts.display()))
            .arg("-print_final_stats=1")
            .arg("-max_len=4096")
            .arg(&corpus)
            .arg(fuzz_dir().join("seeds").join(t));
        let dict = fuzz_dir().join("dicts").join(format!("{t}.dict"));
        if dict.exists() {
            cmd.arg(format!("-dict={}", dict.display()));
        }
        eprintln!("xtask: fuzzing {t} for {seconds} s");
        let out = cmd
            .output()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let log = String::from_utf8_lossy(&out.stderr);
        let stat = |name: &str| {
            log.lines()
                .find_map(|l| {
                    l.strip_prefix(&format!("stat::{name}:"))
                        .map(|v| v.trim().to_owned())
                })
                .unwrap_or_else(|| "?".into())
        };
        if !out.status.success() {
            // The panic's message and the crash's summary, not the backtrace.
            let said: Vec<&str> = log
                .lines()
                .skip_while(|l| !l.contains("panicked at") && !l.contains("ERROR: libFuzzer"))
                .take(6)
                .chain(
                    log.lines()
                        .filter(|l| l.starts_with("SUMMARY") || l.contains("Test unit written")),
                )
                .collect();
            return Err(format!(
                "fuzz target {t} found a crash (kept in {}):\n{}",
                artifacts.display(),
                said.join("\n")
            ));
        }
        let line = format!(
            "{} execs in {seconds} s ({} /s), corpus {} inputs, peak {} MB",
            stat("number_of_executed_units"),
            stat("average_exec_per_sec"),
            std::fs::read_dir(&corpus).map(|d| d.count()).unwrap_or(0),
            stat("peak_rss_mb"),
        );
        eprintln!("xtask: fuzz {t}: {line}");
        figures.push((t.clone(), line));
    }
    eprintln!("xtask: fuzzing found no crash");
    for (t, line) in &figures {
        println!("{t:>6}: {line}");
    }
    Ok(figures)
}

/// `cargo xtask fuzz [--seconds N] [TARGET…]` (60 s each by default).
pub fn command(args: &[String]) -> Result {
    let mut seconds = 60;
    let mut targets = Vec::new();
    let mut args = args.iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .filter(|s| *s > 0)
                    .ok_or("--seconds takes a whole number of seconds")?;
            }
            t => targets.push(t.to_owned()),
        }
    }
    fuzz(seconds, &targets).map(|_| ())
}
