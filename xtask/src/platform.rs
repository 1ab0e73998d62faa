//! Starting the platform for tests, on a free port and a fresh database.

use crate::Result;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running platform, stopped when dropped.
pub struct Platform {
    child: Child,
    pub url: String,
    data: std::path::PathBuf,
}

impl Platform {
    /// The platform the end-to-end suite drives: the demo pages and the
    /// suite's own hostile fixtures (`www/test/`).
    pub fn start(binary: &Path) -> Result<Platform> {
        Platform::start_with(binary, &crate::root().join("www"), &["--test-fixtures"])
    }

    /// A platform for a load test: every request comes from this machine's
    /// one address, so one client's limits are raised to what the test
    /// sends (`--client-events`).
    pub fn start_for_load(binary: &Path, www: &Path) -> Result<Platform> {
        Platform::start_with(binary, www, &["--client-events", "10000000"])
    }

    /// A platform serving `www`, on a fresh database, with `extra` flags.
    pub fn start_with(binary: &Path, www: &Path, extra: &[&str]) -> Result<Platform> {
        let root = crate::root();
        let data = std::env::temp_dir().join(format!("vitrine-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let mut child = Command::new(binary)
            .args(extra)
            .args(["--listen", "127.0.0.1:0", "--data"])
            .arg(&data)
            .arg("--www")
            .arg(www)
            .arg("--pkg")
            .arg(root.join("pkg"))
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    eprintln!("{line}");
                    if let Some(url) = line
                        .split("serving on ")
                        .nth(1)
                        .and_then(|rest| rest.split_whitespace().next())
                    {
                        break url.trim_end_matches('/').to_string();
                    }
                }
                _ => {
                    let _ = child.kill();
                    return Err("the platform exited before it was serving".into());
                }
            }
        };
        // Keep echoing what the server prints, without blocking it.
        std::thread::spawn(move || lines.map_while(|l| l.ok()).for_each(|l| eprintln!("{l}")));
        let platform = Platform { child, url, data };
        wait_healthy(&platform.url)?;
        Ok(platform)
    }
}

/// A port on loopback that nothing listens on (now).
pub fn free_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Waits until the platform at `url` answers `/healthz` (20 s at most).
pub fn wait_healthy(url: &str) -> Result {
    {
        let addr = url.trim_start_matches("http://");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(mut s) = TcpStream::connect(addr) {
                let _ = write!(
                    s,
                    "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
                );
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.1 200") {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("{url} never answered /healthz"))
    }
}

impl Platform {
    /// Where this platform keeps its database.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
