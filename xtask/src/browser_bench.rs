//! The browser benchmarks (`tests/e2e/bench/browser.mjs`), run against a
//! platform serving the demo pages plus the benchmark's own pages: the SDK's
//! first card, the same card in plain JavaScript (the floor), and a page
//! that mounts many cards. The floor is given the SDK's very markup and
//! stylesheet, so the two differ only in the code that draws them.

use crate::platform::Platform;
use crate::{esbuild_css, js_string, read, root, run, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/bench/www`: `www/` and the benchmark pages under `/bench/`.
fn pages() -> Result<PathBuf> {
    let root = root();
    let www = root.join("target/bench/www");
    let _ = std::fs::remove_dir_all(&www);
    copy_dir(&root.join("www"), &www)?;
    let bench = www.join("bench");
    copy_dir(&root.join("tests/e2e/bench/pages"), &bench)?;
    let floor = read(&bench.join("floor.js"))?
        .replace(
            r#""__VITRINE_CARD_CSS__""#,
            &js_string(&esbuild_css(&root.join("src/card.css"))?),
        )
        .replace(
            r#""__VITRINE_CARD_HTML__""#,
            &js_string(read(&root.join("src/card.html"))?.trim()),
        );
    std::fs::write(bench.join("floor.js"), floor).map_err(|e| e.to_string())?;
    Ok(www)
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .map_err(|e| format!("{}: {e}", target.display()))?;
        }
    }
    Ok(())
}

/// Runs the browser benchmarks against `platform` (a built platform binary)
/// and returns the JSON they wrote. `quick` runs a few of each: the harness
/// checking itself, as the test suite does.
pub fn run_bench(platform: &Path, quick: bool) -> Result<String> {
    let root = root();
    let server = Platform::start_for_load(platform, &pages()?)?;
    let out = root.join("target/bench/browser.json");
    let mut cmd = Command::new("node");
    cmd.arg("bench/browser.mjs")
        .arg(&server.url)
        .arg(&out)
        .current_dir(root.join("tests/e2e"));
    if quick {
        cmd.arg("--quick");
    }
    let result = run(&mut cmd);
    drop(server);
    result?;
    read(&out)
}
