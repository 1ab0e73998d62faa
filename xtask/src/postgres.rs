//! A PostgreSQL server of the tests' own: Debian's PostgreSQL (15 on this
//! machine kind, installed if missing), initialised in a directory under
//! `target/`, on a free loopback port, stopped when dropped. PostgreSQL
//! refuses to run as root, so as root the server runs as the `postgres`
//! user (`runuser`), as Debian sets it up.

use crate::{root, run, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A running server; `url` names its `postgres` database as `vitrine`.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    pub url: String,
    /// The server, when it runs in the foreground (the demo: Ctrl-C in
    /// the terminal reaches it and stops it cleanly); else `pg_ctl`'s.
    foreground: Option<std::process::Child>,
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

/// `program` from `bin`, as the `postgres` user when we are root.
fn as_owner(bin: &Path, program: &str) -> Command {
    if crate::tools::is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(bin.join(program));
        cmd
    } else {
        Command::new(bin.join(program))
    }
}

impl Postgres {
    /// Starts a fresh server in `target/NAME`, in the background.
    pub fn start(name: &str) -> Result<Postgres> {
        Postgres::start_as(name, false)
    }

    /// Starts a fresh server in `target/NAME` as a child of this process,
    /// in its process group: what a Ctrl-C stops.
    pub fn start_foreground(name: &str) -> Result<Postgres> {
        Postgres::start_as(name, true)
    }

    fn start_as(name: &str, in_foreground: bool) -> Result<Postgres> {
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
        if crate::tools::is_root() {
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
        let port = crate::platform::free_port()?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            dir.display()
        );
        let url = format!("postgres://vitrine@127.0.0.1:{port}/postgres");
        if !in_foreground {
            run(as_owner(&bin, "pg_ctl")
                .args(["-w", "-t", "60", "-D"])
                .arg(&data)
                .arg("-l")
                .arg(dir.join("log"))
                .args(["-o", &options, "start"])
                .stdout(std::process::Stdio::null()))?;
            return Ok(Postgres {
                bin,
                data,
                url,
                foreground: None,
            });
        }
        let log = std::fs::File::create(dir.join("log")).map_err(|e| e.to_string())?;
        let child = as_owner(&bin, "postgres")
            .arg("-D")
            .arg(&data)
            .args(options.split(' '))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("postgres: {e}"))?;
        let server = Postgres {
            bin: bin.clone(),
            data,
            url,
            foreground: Some(child),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !Command::new(bin.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
            .status()
            .is_ok_and(|s| s.success())
        {
            if std::time::Instant::now() > deadline {
                return Err(format!(
                    "PostgreSQL did not start; see {}/log",
                    dir.display()
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        Ok(server)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(mut child) = self.foreground.take() {
            // SIGINT: PostgreSQL's fast shutdown.
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            let _ = child.wait();
            return;
        }
        let _ = as_owner(&self.bin, "pg_ctl")
            .args(["-D"])
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .stdout(std::process::Stdio::null())
            .status();
    }
}
