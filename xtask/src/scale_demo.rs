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

pub fn demo(listen: &str) -> Result {
    build()?;
    run(cargo().args(["build", "--release", "--package", "vitrine-platform"]))?;
    if !std::path::Path::new(NGINX).exists() {
        crate::tools::ensure_debian(&["nginx"])?;
    }
    let root = root();
    let dir = root.join("target/scale-demo");
    let _ = std::fs::remove_dir_all(dir.join("nginx"));
    std::fs::create_dir_all(dir.join("nginx")).map_err(|e| e.to_string())?;
    let postgres = Postgres::start_foreground("scale-demo/postgres")?;
    let clickhouse = ClickHouse::start("scale-demo/clickhouse")?;
    let clickhouse_url = format!("{}/?database=vitrine", clickhouse.url);
    let public = format!("http://{listen}");
    let mut children = Stopping(Vec::new());
    let mut instances = Vec::new();
    // One after the other: the first migrates and seeds, the second finds
    // it done (the advisory lock would let them start together too).
    for _ in 0..2 {
        let address = format!("127.0.0.1:{}", crate::platform::free_port()?);
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
            .args(["--clickhouse", &clickhouse_url])
            .stdout(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting an instance: {e}"))?;
        children.0.push(child);
        wait_healthy(&format!("http://{address}"))?;
        instances.push(address);
    }
    let conf = dir.join("nginx/nginx.conf");
    std::fs::write(&conf, nginx_conf(&dir.join("nginx"), listen, &instances))
        .map_err(|e| e.to_string())?;
    eprintln!(
        "xtask: the scale demo: PostgreSQL at {}, ClickHouse at {}, instances at {} and {}, nginx in front",
        postgres.url, clickhouse.url, instances[0], instances[1]
    );
    eprintln!("xtask: open {public}/ (Ctrl-C stops everything)");
    let status = Command::new(NGINX)
        .arg("-p")
        .arg(dir.join("nginx"))
        .arg("-c")
        .arg(&conf)
        .args(["-g", "daemon off;"])
        .status()
        .map_err(|e| format!("nginx: {e}"))?;
    drop(children);
    drop(clickhouse);
    drop(postgres);
    if status.success() {
        Ok(())
    } else {
        Err(format!("nginx stopped ({status})"))
    }
}
