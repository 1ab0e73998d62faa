//! Command line and environment: `--listen ADDR`, `--data DIR`, `--www DIR`,
//! `--pkg DIR`, `--client-events N`, `--public-url URL` (also
//! `VITRINE_LISTEN`, `VITRINE_DATA`, `VITRINE_WWW`, `VITRINE_PKG`,
//! `VITRINE_CLIENT_EVENTS`, `VITRINE_PUBLIC_URL`), `--store embedded|scale`
//! with `--postgres URL` and `--clickhouse URL` (`VITRINE_STORE`,
//! `VITRINE_POSTGRES`, `VITRINE_CLICKHOUSE`), `--trusted-proxy ADDR,…`
//! (`VITRINE_TRUSTED_PROXY`) and `--test-fixtures`.
//! Flags win over the environment, which wins over defaults.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// Where the platform keeps what it knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// One SQLite file in `--data` (the default: the easy start).
    Embedded,
    /// The catalogue in PostgreSQL, the events in ClickHouse
    /// (docs/scale.md): for several instances.
    Scale {
        postgres: String,
        clickhouse: String,
    },
}

/// Everything the server needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data: PathBuf,
    pub www: PathBuf,
    pub pkg: PathBuf,
    /// Events per second one client may post (after a burst of 30 s of it).
    pub client_events: f64,
    /// Where readers reach the platform (`scheme://host[:port]`), for every
    /// absolute URL it writes and the origin its forms must come from;
    /// `None`: the address it listens on (known once bound).
    pub public_url: Option<String>,
    /// Serve `www/test/` (the end-to-end suite's hostile pages): only when
    /// the platform runs for tests, never for the demo or in production.
    pub test_fixtures: bool,
    pub store: StoreChoice,
    /// The proxies in front (nginx, a load balancer) whose
    /// `X-Forwarded-For` names the client; from any other address the
    /// header is ignored, so a client cannot choose who it is.
    pub trusted_proxies: Vec<IpAddr>,
}

pub const USAGE: &str = "usage: vitrine-platform [--listen 127.0.0.1:8080] [--data DIR] [--www DIR] [--pkg DIR]

  --listen ADDR   address to serve on (env VITRINE_LISTEN; default 127.0.0.1:8080; port 0 picks a free one)
  --data DIR      where the SQLite database lives; created and seeded on first start
                  (env VITRINE_DATA; default ./vitrine-data)
  --www DIR       demo pages served at / (env VITRINE_WWW; default ./www)
  --pkg DIR       the built SDK package served at /pkg/ (env VITRINE_PKG; default ./pkg)
  --client-events N
                  events per second one client may post, after a burst of 30 s of them
                  (env VITRINE_CLIENT_EVENTS; default 100: a reader sends far fewer; a load
                  test from one address needs more)
  --public-url URL
                  where readers reach the platform, scheme://host[:port] (env VITRINE_PUBLIC_URL;
                  default http:// and the address it listens on). Absolute URLs (signed links,
                  pictures) are written from it, never from a request's Host header
  --store embedded|scale
                  where the platform keeps what it knows (env VITRINE_STORE; default embedded:
                  SQLite in --data). scale: the catalogue in PostgreSQL, the events in ClickHouse
                  (docs/scale.md), and then:
  --postgres URL  postgres://user@host:port/db (env VITRINE_POSTGRES)
  --clickhouse URL
                  http://host:port/?database=NAME (env VITRINE_CLICKHOUSE)
  --trusted-proxy ADDR,…
                  the proxies in front (env VITRINE_TRUSTED_PROXY; default none): from them the
                  client is the last address in X-Forwarded-For (limits, throttles and
                  invalid-traffic rules are per client); from anyone else the header is ignored
  --test-fixtures serve www/test/, the end-to-end suite's hostile pages (tests only)";

impl Config {
    /// Reads `args` (without the program name) and the environment.
    pub fn from_args(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, String> {
        let mut listen = env("VITRINE_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into());
        let mut data = env("VITRINE_DATA").unwrap_or_else(|| "vitrine-data".into());
        let mut www = env("VITRINE_WWW").unwrap_or_else(|| "www".into());
        let mut pkg = env("VITRINE_PKG").unwrap_or_else(|| "pkg".into());
        let mut client_events = env("VITRINE_CLIENT_EVENTS").unwrap_or_else(|| "100".into());
        let mut public_url = env("VITRINE_PUBLIC_URL").unwrap_or_default();
        let mut test_fixtures = false;
        let mut store = env("VITRINE_STORE").unwrap_or_else(|| "embedded".into());
        let mut postgres = env("VITRINE_POSTGRES").unwrap_or_default();
        let mut clickhouse = env("VITRINE_CLICKHOUSE").unwrap_or_default();
        let mut trusted = env("VITRINE_TRUSTED_PROXY").unwrap_or_default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
                None => (arg, None),
            };
            let slot = match flag.as_str() {
                "--test-fixtures" => {
                    test_fixtures = true;
                    continue;
                }
                "--public-url" => &mut public_url,
                "--store" => &mut store,
                "--postgres" => &mut postgres,
                "--clickhouse" => &mut clickhouse,
                "--trusted-proxy" => &mut trusted,
                "--listen" => &mut listen,
                "--data" => &mut data,
                "--www" => &mut www,
                "--pkg" => &mut pkg,
                "--client-events" => &mut client_events,
                "-h" | "--help" => return Err(USAGE.into()),
                other => return Err(format!("unknown argument {other}\n\n{USAGE}")),
            };
            *slot = match inline.or_else(|| args.next()) {
                Some(v) => v,
                None => return Err(format!("{flag} needs a value\n\n{USAGE}")),
            };
        }
        let listen = listen.parse().map_err(|_| {
            format!("--listen: {listen:?} is not an address such as 127.0.0.1:8080")
        })?;
        let client_events = client_events
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 1.0)
            .ok_or_else(|| {
                format!("--client-events: {client_events:?} is not a number of at least 1")
            })?;
        let public_url = match public_url.trim_end_matches('/') {
            "" => None,
            given => Some(public_origin(given).ok_or_else(|| {
                format!("--public-url: {given:?} is not an origin such as https://vitrine.example")
            })?),
        };
        let trusted_proxies = trusted
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.parse::<IpAddr>()
                    .map_err(|_| format!("--trusted-proxy: {a:?} is not an IP address"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let store = match store.as_str() {
            "embedded" => StoreChoice::Embedded,
            "scale" if postgres.is_empty() || clickhouse.is_empty() => {
                return Err("--store scale needs --postgres URL and --clickhouse URL".into())
            }
            "scale" => StoreChoice::Scale {
                postgres,
                clickhouse,
            },
            other => return Err(format!("--store: {other:?} is not embedded or scale")),
        };
        Ok(Config {
            client_events,
            public_url,
            test_fixtures,
            store,
            trusted_proxies,
            listen,
            data: data.into(),
            www: www.into(),
            pkg: pkg.into(),
        })
    }
}

/// `url` as the origin it names (`scheme://host[:port]`, http or https,
/// nothing after it), or `None`.
pub fn public_origin(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let origin = parsed.origin().ascii_serialization();
    (matches!(parsed.scheme(), "http" | "https") && origin == url).then_some(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_store_is_embedded_unless_scale_is_asked_for_with_both_engines() {
        let c = Config::from_args(Vec::<String>::new(), no_env).unwrap();
        assert_eq!(c.store, StoreChoice::Embedded);
        let args = [
            "--store",
            "scale",
            "--postgres",
            "postgres://v@127.0.0.1:5432/v",
        ]
        .map(String::from);
        assert_eq!(
            Config::from_args(args, no_env).unwrap_err(),
            "--store scale needs --postgres URL and --clickhouse URL"
        );
        let env = |k: &str| match k {
            "VITRINE_STORE" => Some("scale".to_string()),
            "VITRINE_POSTGRES" => Some("postgres://v@127.0.0.1:5432/v".to_string()),
            "VITRINE_CLICKHOUSE" => Some("http://127.0.0.1:8123/?database=v".to_string()),
            _ => None,
        };
        assert!(matches!(
            Config::from_args(Vec::<String>::new(), env).unwrap().store,
            StoreChoice::Scale { .. }
        ));
        let args = ["--store", "sqlite"].map(String::from);
        assert!(Config::from_args(args, no_env)
            .unwrap_err()
            .contains("not embedded or scale"));
    }

    #[test]
    fn defaults_then_environment_then_flags() {
        let c = Config::from_args(Vec::<String>::new(), no_env).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.data, PathBuf::from("vitrine-data"));
        let env = |k: &str| (k == "VITRINE_LISTEN").then(|| "127.0.0.1:9000".to_string());
        assert_eq!(
            Config::from_args(Vec::<String>::new(), env)
                .unwrap()
                .listen
                .port(),
            9000
        );
        let args = ["--listen", "127.0.0.1:0", "--data=/tmp/x"].map(String::from);
        let c = Config::from_args(args, env).unwrap();
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.data, PathBuf::from("/tmp/x"));
        assert_eq!(c.client_events, 100.0);
        assert_eq!(c.public_url, None);
        assert!(!c.test_fixtures);
        let args = [
            "--public-url",
            "https://vitrine.example/",
            "--test-fixtures",
        ]
        .map(String::from);
        let c = Config::from_args(args, no_env).unwrap();
        assert_eq!(c.public_url.as_deref(), Some("https://vitrine.example"));
        assert!(c.test_fixtures);
        assert!(c.trusted_proxies.is_empty());
        let env = |k: &str| (k == "VITRINE_TRUSTED_PROXY").then(|| "10.0.0.2, ::1".to_string());
        assert_eq!(
            Config::from_args(Vec::<String>::new(), env)
                .unwrap()
                .trusted_proxies,
            [
                "10.0.0.2".parse::<std::net::IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        let args = ["--client-events", "5000"].map(String::from);
        assert_eq!(
            Config::from_args(args, no_env).unwrap().client_events,
            5000.0
        );
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        let err = Config::from_args(["--listen", "nowhere"].map(String::from), no_env).unwrap_err();
        assert!(err.contains("not an address"), "{err}");
        let err = Config::from_args(["--data"].map(String::from), no_env).unwrap_err();
        assert!(err.contains("--data needs a value"), "{err}");
        let err =
            Config::from_args(["--client-events", "0"].map(String::from), no_env).unwrap_err();
        assert!(err.contains("at least 1"), "{err}");
        for bad in [
            "evil",
            "https://a.example/path",
            "javascript:x",
            "https://u@a.example",
        ] {
            let err =
                Config::from_args(["--public-url", bad].map(String::from), no_env).unwrap_err();
            assert!(err.contains("--public-url"), "{bad}: {err}");
        }
        let err = Config::from_args(
            ["--trusted-proxy", "127.0.0.1,nginx"].map(String::from),
            no_env,
        )
        .unwrap_err();
        assert!(err.contains("\"nginx\" is not an IP address"), "{err}");
        let err = Config::from_args(["--bogus"].map(String::from), no_env).unwrap_err();
        assert!(err.contains("unknown argument --bogus"), "{err}");
    }
}
