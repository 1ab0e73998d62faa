//! A ClickHouse server of the tests' own: Debian's `clickhouse-server`
//! (18.16 on Debian 12; installed if missing), run in the foreground from a
//! private config in a directory under `target/`, on free loopback ports,
//! killed when dropped.

use crate::{root, Result};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server; `url` is its HTTP interface.
pub struct ClickHouse {
    child: Child,
    pub url: String,
}

const SERVER: &str = "/usr/sbin/clickhouse-server";

/// `GET /ping` answers `Ok.` once the server takes queries.
fn pings(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /ping HTTP/1.0\r\n\r\n").is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.ends_with("Ok.\n")
}

impl ClickHouse {
    /// Starts a fresh server in `target/NAME`.
    pub fn start(name: &str) -> Result<ClickHouse> {
        if !std::path::Path::new(SERVER).exists() {
            crate::tools::ensure_debian(&["clickhouse-server", "clickhouse-client"])?;
        }
        let dir: PathBuf = root().join("target").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["data", "tmp"] {
            std::fs::create_dir_all(dir.join(sub))
                .map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let (http, tcp) = (crate::platform::free_port()?, crate::platform::free_port()?);
        let d = dir.display();
        let config = format!(
            "<yandex>\n\
             <logger><level>warning</level><log>{d}/log</log><errorlog>{d}/err.log</errorlog><console>0</console></logger>\n\
             <http_port>{http}</http_port><tcp_port>{tcp}</tcp_port><listen_host>127.0.0.1</listen_host>\n\
             <path>{d}/data/</path><tmp_path>{d}/tmp/</tmp_path>\n\
             <users_config>/etc/clickhouse-server/users.xml</users_config>\n\
             <mark_cache_size>268435456</mark_cache_size><uncompressed_cache_size>268435456</uncompressed_cache_size>\n\
             <default_profile>default</default_profile><default_database>default</default_database>\n\
             </yandex>\n"
        );
        let config_path = dir.join("config.xml");
        std::fs::write(&config_path, config).map_err(|e| e.to_string())?;
        let child = Command::new(SERVER)
            .arg(format!("--config-file={}", config_path.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{SERVER}: {e}"))?;
        let mut server = ClickHouse {
            child,
            url: format!("http://127.0.0.1:{http}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !pings(http) {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "clickhouse-server exited ({status}); see {d}/err.log"
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "clickhouse-server did not answer within 60 s; see {d}/err.log"
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(server)
    }
}

impl Drop for ClickHouse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
