//! `cargo xtask demo --scale [ADDR]`: the scale configuration on this
//! machine, on loopback: PostgreSQL (Debian's, started as the `postgres`
//! user) and ClickHouse (Debian's `clickhouse-server`, installed if
//! missing), two platform instances sharing them, and nginx (installed if
//! missing) in front of both at ADDR. Everything lives under
//! `target/scale-demo/` and starts fresh; Ctrl-C stops every part (each is
//! a child in the terminal's process group).

use crate::clickhouse::ClickHouse;
use crate::platform::wait_healthy;
use crate::postgres::Postgres;
use crate::{build, cargo, root, run, Result};
use std::process::{Child, Command, Stdio};

const NGINX: &str = "/usr/sbin/nginx";

/// nginx's config: both instances upstream; the live stream unbuffered
/// and kept open; an instance that fails is passed over for a while.
fn nginx_conf(dir: &std::path::Path, listen: &str, instances: &[String]) -> String {
    let servers: String = instances
        .iter()
        .map(|a| format!("    server {a} max_fails=1 fail_timeout=2s;\n"))
        .collect();
    let d = dir.display();
    format!(
        "worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
           upstream vitrine {{\n{servers}    keepalive 32;\n  }}\n\
           server {{\n    listen {listen};\n    client_max_body_size 16m;\n\
             location / {{\n      proxy_pass http://vitrine;\n      proxy_http_version 1.1;\n\
               proxy_set_header Connection \"\";\n      proxy_set_header Host $http_host;\n\
               proxy_set_header X-Forwarded-For $remote_addr;\n\
               proxy_buffering off;\n      proxy_read_timeout 1h;\n    }}\n  }}\n}}\n"
    )
}

struct Stopping(Vec<Child>);

impl Drop for Stopping {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

/// The scale set-up, running: PostgreSQL, ClickHouse, two platform
/// instances sharing them and nginx in front at `url`. Dropping it stops
/// every part (the instances and nginx first).
pub struct ScaleSet {
    /// nginx, in front of both instances.
    pub url: String,
    /// The instances' own addresses.
    pub instances: Vec<String>,
    children: Stopping,
    _clickhouse: ClickHouse,
    _postgres: Postgres,
}

impl ScaleSet {
    /// Starts the set under `target/NAME/`, fresh, nginx listening at
    /// `listen`, every instance given `extra` flags too (the release
    /// platform must be built). `foreground`: PostgreSQL in this terminal's
    /// process group, so a Ctrl-C stops it too; the instances' output here.
    pub fn start(name: &str, listen: &str, extra: &[&str], foreground: bool) -> Result<ScaleSet> {
        if !std::path::Path::new(NGINX).exists() {
            crate::tools::ensure_debian(&["nginx"])?;
        }
        let root = root();
        let dir = root.join("target").join(name);
        let _ = std::fs::remove_dir_all(dir.join("nginx"));
        let _ = std::fs::remove_dir_all(dir.join("data"));
        std::fs::create_dir_all(dir.join("nginx")).map_err(|e| e.to_string())?;
        let postgres = if foreground {
            Postgres::start_foreground(&format!("{name}/postgres"))?
        } else {
            Postgres::start(&format!("{name}/postgres"))?
        };
        let clickhouse = ClickHouse::start(&format!("{name}/clickhouse"))?;
        let clickhouse_url = format!("{}/?database=vitrine", clickhouse.url);
        let public = format!("http://{listen}");
        let mut children = Stopping(Vec::new());
        let mut instances = Vec::new();
        // One after the other: the first migrates and seeds, the second finds
        // it done (the advisory lock would let them start together too).
        for n in 0..2 {
            let address = format!("127.0.0.1:{}", crate::platform::free_port()?);
            let output = if foreground {
                Stdio::inherit()
            } else {
                std::fs::File::create(dir.join(format!("instance-{n}.log")))
                    .map_err(|e| e.to_string())?
                    .into()
            };
            let child = Command::new(root.join("target/release/vitrine-platform"))
                .args(["--listen", &address, "--data"])
                .arg(dir.join("data"))
                .arg("--www")
                .arg(root.join("www"))
                .arg("--pkg")
                .arg(root.join("pkg"))
                .args([
                    "--public-url",
                    &public,
                    "--store",
                    "scale",
                    "--postgres",
                    &postgres.url,
                ])
                .args([
                    "--clickhouse",
                    &clickhouse_url,
                    "--trusted-proxy",
                    "127.0.0.1",
                ])
                .args(extra)
                .stdout(output)
                .spawn()
                .map_err(|e| format!("starting an instance: {e}"))?;
            children.0.push(child);
            wait_healthy(&format!("http://{address}"))?;
            instances.push(address);
        }
        let conf = dir.join("nginx/nginx.conf");
        std::fs::write(&conf, nginx_conf(&dir.join("nginx"), listen, &instances))
            .map_err(|e| e.to_string())?;
        let nginx = Command::new(NGINX)
            .arg("-p")
            .arg(dir.join("nginx"))
            .arg("-c")
            .arg(&conf)
            .args(["-g", "daemon off;"])
            .spawn()
            .map_err(|e| format!("nginx: {e}"))?;
        children.0.push(nginx);
        wait_healthy(&public)?;
        eprintln!(
            "xtask: the scale set-up: PostgreSQL at {}, ClickHouse at {}, instances at {} and {}, nginx in front at {public}",
            postgres.url, clickhouse.url, instances[0], instances[1]
        );
        Ok(ScaleSet {
            url: public,
            instances,
            children,
            _clickhouse: clickhouse,
            _postgres: postgres,
        })
    }
}

pub fn demo(listen: &str) -> Result {
    build()?;
    run(cargo().args(["build", "--release", "--package", "vitrine-platform"]))?;
    let mut set = ScaleSet::start("scale-demo", listen, &[], true)?;
    eprintln!("xtask: open {}/ (Ctrl-C stops everything)", set.url);
    let nginx = set.children.0.last_mut().ok_or("no nginx")?;
    let status = nginx.wait().map_err(|e| format!("nginx: {e}"))?;
    drop(set);
    if status.success() {
        Ok(())
    } else {
        Err(format!("nginx stopped ({status})"))
    }
}
