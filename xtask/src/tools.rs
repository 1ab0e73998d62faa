//! Installing what the tasks need, only when it is missing.

use crate::{cargo, root, run, Result};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Debian packages the tests need: the browser, its driver, CJK fonts so
/// that Chinese text renders in screenshots, and brotli for the size report.
/// (wasm-opt comes from npm's binaryen 132, see `xtask/js/package.json`:
/// Debian's binaryen 108 turns wasm-bindgen's externref table into one the
/// browser refuses at instantiation.)
const TEST_PACKAGES: &[&str] = &[
    "chromium",
    "chromium-driver",
    "fonts-wqy-microhei",
    "brotli",
];

pub fn tools_dir() -> PathBuf {
    root().join(".tools")
}

pub fn wasm_bindgen() -> PathBuf {
    tools_dir().join("bin/wasm-bindgen")
}

pub fn wasm_bindgen_test_runner() -> PathBuf {
    tools_dir().join("bin/wasm-bindgen-test-runner")
}

pub fn wasm_opt() -> PathBuf {
    root().join("xtask/js/node_modules/.bin/wasm-opt")
}

pub fn esbuild() -> PathBuf {
    root().join("xtask/js/node_modules/.bin/esbuild")
}

pub fn ensure_build_tools() -> Result {
    ensure_wasm_target()?;
    ensure_wasm_bindgen()?;
    ensure_npm_packages("xtask/js")
}

pub fn ensure_test_tools() -> Result {
    ensure_build_tools()?;
    ensure_debian(TEST_PACKAGES)?;
    ensure_npm_packages("tests/e2e")
}

pub fn ensure_bench_tools() -> Result {
    // The browser benchmarks need what the browser tests need.
    ensure_test_tools()
}

fn ensure_wasm_target() -> Result {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match out {
        Ok(out)
            if String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|l| l.trim() == "wasm32-unknown-unknown") =>
        {
            Ok(())
        }
        _ => run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"])),
    }
}

/// The `wasm-bindgen` version in Cargo.lock: the CLI must match it exactly.
fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == r#"name = "wasm-bindgen""# {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
            {
                return Ok(v.trim_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock names no wasm-bindgen version".into())
}

fn ensure_wasm_bindgen() -> Result {
    let version = locked_wasm_bindgen_version()?;
    let installed = Command::new(wasm_bindgen()).arg("--version").output();
    if let Ok(out) = installed {
        if String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .nth(1)
            == Some(version.as_str())
        {
            return Ok(());
        }
    }
    eprintln!(
        "xtask: installing wasm-bindgen-cli {version} into .tools/ (takes about two minutes, once)"
    );
    // Not --locked: that release's own lockfile pins a webpki-roots version
    // the registry mirror here does not have.
    run(cargo()
        .args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &version,
            "--root",
        ])
        .arg(tools_dir()))
}

fn debian_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// Whether this process runs as root.
pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

pub(crate) fn ensure_debian(packages: &[&str]) -> Result {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !debian_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing Debian packages: {}", missing.join(" "));
    let is_root = is_root();
    let apt = |args: &[&str]| {
        let mut cmd = if is_root {
            Command::new("apt-get")
        } else {
            Command::new("sudo")
        };
        if !is_root {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run(&mut apt(&["update", "-qq"]))?;
    let mut install = apt(&["install", "-y", "-qq", "--no-install-recommends"]);
    install.args(&missing);
    run(&mut install)
}

/// `npm ci` in `dir`, unless its node_modules already matches the lockfile.
fn ensure_npm_packages(dir: &str) -> Result {
    let dir = root().join(dir);
    let lock = std::fs::read(dir.join("package-lock.json"))
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let stamp = dir.join("node_modules/.vitrine-lock");
    if std::fs::read(&stamp).ok().as_deref() == Some(lock.as_slice()) {
        return Ok(());
    }
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir))?;
    std::fs::write(&stamp, lock).map_err(|e| e.to_string())
}
