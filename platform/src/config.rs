//! Command line and environment: `--listen ADDR`, `--data DIR`, `--www DIR`,
//! `--pkg DIR`, `--client-events N`, `--public-url URL` (also
//! `VITRINE_LISTEN`, `VITRINE_DATA`, `VITRINE_WWW`, `VITRINE_PKG`,
//! `VITRINE_CLIENT_EVENTS`, `VITRINE_PUBLIC_URL`), and `--test-fixtures`.
//! Flags win over the environment, which wins over defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

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
        Ok(Config {
            client_events,
            public_url,
            test_fixtures,
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
        let err = Config::from_args(["--bogus"].map(String::from), no_env).unwrap_err();
        assert!(err.contains("unknown argument --bogus"), "{err}");
    }
}
