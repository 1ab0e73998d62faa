//! A PostgreSQL server of the tests' own: Debian's PostgreSQL (15 on this
//! machine kind, installed if missing), initialised in a directory under
//! `target/`, on a free loopback port, stopped when dropped. PostgreSQL
//! refuses to run as root, so as root the server runs as the `postgres`
//! user (`runuser`), as Debian sets it up.

use crate::{root, run, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running server; `url` names its `postgres` database as `vitrine`.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    pub url: String,
}

fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// `program` from `bin`, as the `postgres` user when we are root.
fn as_owner(bin: &Path, program: &str) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(bin.join(program));
        cmd
    } else {
        Command::new(bin.join(program))
    }
}

fn free_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

impl Postgres {
    /// Starts a fresh server in `target/NAME`.
    pub fn start(name: &str) -> Result<Postgres> {
        let bin = match bin_dir() {
            Some(bin) => bin,
            None => {
                crate::tools::ensure_debian(&["postgresql"])?;
                bin_dir().ok_or(
                    "PostgreSQL is not installed and could not be (apt-get install postgresql)",
                )?
            }
        };
        let dir = root().join("target").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if is_root() {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir))?;
        }
        let data = dir.join("data");
        run(as_owner(&bin, "initdb")
            .args([
                "--auth=trust",
                "--username=vitrine",
                "--encoding=UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .stdout(std::process::Stdio::null()))?;
        let port = free_port()?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            dir.display()
        );
        run(as_owner(&bin, "pg_ctl")
            .args(["-w", "-t", "60", "-D"])
            .arg(&data)
            .arg("-l")
            .arg(dir.join("log"))
            .args(["-o", &options, "start"])
            .stdout(std::process::Stdio::null()))?;
        Ok(Postgres {
            bin,
            data,
            url: format!("postgres://vitrine@127.0.0.1:{port}/postgres"),
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = as_owner(&self.bin, "pg_ctl")
            .args(["-D"])
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .stdout(std::process::Stdio::null())
            .status();
    }
}
