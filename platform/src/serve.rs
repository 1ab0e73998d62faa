//! The HTTP server loop: accepting connections and holding each to limits,
//! so that a slow or greedy client costs itself and not other readers.
//!
//! `axum::serve` has no knobs for these, so connections are served here by
//! hyper directly, as axum's own loop does, with:
//! - a **deadline for a request's headers** (which is also how long an idle
//!   keep-alive connection is kept): a client trickling its headers byte by
//!   byte (slowloris) is cut off when it passes;
//! - a **header size limit** (`431` beyond it) and a header count limit;
//! - a **deadline for the whole request** until its answer starts (a body
//!   sent slowly on purpose): `408` with a JSON reason. A streamed answer
//!   (the live dashboard) is not cut once it has started;
//! - a **connection cap**, overall and per client address: past it a new
//!   connection is closed at once, so a flood of sockets from one address
//!   cannot take the places of other clients;
//! - behind **trusted proxies** (`--trusted-proxy`), the client named by
//!   the last address in `X-Forwarded-For` (the one the proxy added), for
//!   every per-client rule downstream; the proxies' own connections count
//!   against the overall cap only. From anyone else the header is ignored.

use crate::error::ApiError;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// What one connection and one request may take, and whom to believe
/// about a request's client.
#[derive(Clone, Debug)]
pub struct ServeLimits {
    /// For a request's headers to arrive (and for an idle keep-alive
    /// connection to wait for its next request).
    pub header_timeout: Duration,
    /// For a request to be read and answered, up to its answer's start.
    pub request_timeout: Duration,
    /// Bytes of a request's headers, all together.
    pub max_header_bytes: usize,
    /// Open connections at once.
    pub max_connections: usize,
    /// Open connections at once from one address.
    pub max_connections_per_client: usize,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<[IpAddr]>,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            // Browsers send a few KB at most; cookies are capped at 4 KB each.
            max_header_bytes: 16 * 1024,
            max_connections: 4096,
            // Above what one browser opens to one host (6 for HTTP/1.1) for
            // a few readers behind one address (an office, a carrier's NAT).
            max_connections_per_client: 64,
            trusted_proxies: Arc::new([]),
        }
    }
}

/// How many connections are open, overall and per address.
#[derive(Default)]
struct Open {
    total: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// A connection's place in [`Open`], given back when it closes.
struct Place {
    open: Arc<Mutex<Open>>,
    client: IpAddr,
}

impl Place {
    /// A place for a connection from `client`, if the caps leave one.
    fn take(open: &Arc<Mutex<Open>>, client: IpAddr, limits: &ServeLimits) -> Option<Place> {
        let mut o = open.lock().unwrap_or_else(|p| p.into_inner());
        let mine = o.by_client.get(&client).copied().unwrap_or(0);
        let capped = !limits.trusted_proxies.contains(&client);
        if o.total >= limits.max_connections || capped && mine >= limits.max_connections_per_client
        {
            return None;
        }
        o.total += 1;
        o.by_client.insert(client, mine + 1);
        Some(Place {
            open: open.clone(),
            client,
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut o = self.open.lock().unwrap_or_else(|p| p.into_inner());
        o.total -= 1;
        if let Some(n) = o.by_client.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                o.by_client.remove(&self.client);
            }
        }
    }
}

/// The request deadline as middleware: `408` with a JSON reason when the
/// handler (reading the body included) has not answered in time.
pub fn with_request_timeout(app: Router, limit: Duration) -> Router {
    app.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| async move {
            match tokio::time::timeout(limit, next.run(request)).await {
                Ok(response) => response,
                Err(_) => ApiError::new(
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    "timeout",
                    "the request took too long to arrive",
                )
                .into_response(),
            }
        },
    ))
}

/// The client of a request that came from `peer`: from a trusted proxy,
/// the last valid address its `X-Forwarded-For` lists (the one it added;
/// those before it are whatever the client claimed), else `peer`.
fn client_of(
    peer: std::net::SocketAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[IpAddr],
) -> std::net::SocketAddr {
    if !trusted.contains(&peer.ip()) {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .last()
        .and_then(|a| a.trim().parse::<IpAddr>().ok())
        .map_or(peer, |ip| std::net::SocketAddr::new(ip, 0))
}

/// Serves `app` on `listener` under `limits` until `shutdown` resolves.
/// Each request carries its client's address (`ConnectInfo`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = with_request_timeout(app, limits.request_timeout);
    let open = Arc::new(Mutex::new(Open::default()));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_headers(100);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (socket, address) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait, do not spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(place) = Place::take(&open, address.ip(), &limits) else {
            // Over the cap: closed before a byte is read.
            drop(socket);
            continue;
        };
        let _ = socket.set_nodelay(true);
        let app = app.clone();
        let trusted = limits.trusted_proxies.clone();
        let service =
            hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                let client = client_of(address, request.headers(), &trusted);
                request.extensions_mut().insert(ConnectInfo(client));
                app.clone().oneshot(request.map(axum::body::Body::new))
            });
        let connection = http.serve_connection(TokioIo::new(socket), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(place);
        });
    }
    // Answers under way finish (the collector's acknowledgements among
    // them), for a bounded time.
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use std::net::SocketAddr;
    use std::time::Instant;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// A server under `limits` on a free loopback port: `/` answers, and
    /// `/echo` reads its whole body first.
    async fn server(limits: ServeLimits) -> SocketAddr {
        let app = Router::new()
            .route("/", get(|| async { "ok" }))
            .route(
                "/echo",
                post(|body: axum::body::Bytes| async move { body.len().to_string() }),
            )
            .route(
                "/who",
                get(|ConnectInfo(client): ConnectInfo<SocketAddr>| async move {
                    client.ip().to_string()
                }),
            );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, app, limits, std::future::pending()));
        address
    }

    fn quick() -> ServeLimits {
        ServeLimits {
            header_timeout: Duration::from_millis(300),
            request_timeout: Duration::from_millis(600),
            max_connections_per_client: 8,
            ..ServeLimits::default()
        }
    }

    /// Everything the server sends until it closes, or what came within
    /// `wait` (then `None` for "still open").
    async fn read_until_closed(socket: &mut TcpStream, wait: Duration) -> Option<String> {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, socket.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&got).into()),
                Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
                Err(_) => return None,
            }
        }
    }

    async fn answered(address: SocketAddr) -> bool {
        let mut socket = TcpStream::connect(address).await.unwrap();
        socket
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        read_until_closed(&mut socket, Duration::from_secs(2))
            .await
            .is_some_and(|text| text.starts_with("HTTP/1.1 200"))
    }

    /// The attack: 50 sockets sending their headers a byte at a time were
    /// all still held after 20 s. Now each is cut off at the deadline, and
    /// another client is answered meanwhile.
    #[tokio::test]
    async fn a_client_trickling_its_headers_is_cut_off_and_others_are_served() {
        let address = server(ServeLimits {
            max_connections_per_client: 100,
            ..quick()
        })
        .await;
        let start = Instant::now();
        let mut slow = Vec::new();
        for _ in 0..50 {
            let mut socket = TcpStream::connect(address).await.unwrap();
            socket.write_all(b"GET / HTTP/1.1\r\nX-A: ").await.unwrap();
            slow.push(socket);
        }
        assert!(answered(address).await, "a reader is not slowed by them");
        for socket in &mut slow {
            // One more byte, as slowloris does to look alive.
            let _ = socket.write_all(b"a").await;
        }
        for socket in &mut slow {
            let closed = read_until_closed(socket, Duration::from_secs(3)).await;
            assert!(closed.is_some(), "still held after {:?}", start.elapsed());
        }
        assert!(start.elapsed() < Duration::from_secs(3));
    }

    /// The attack: a 500 KB header was accepted.
    #[tokio::test]
    async fn oversized_headers_are_refused() {
        let address = server(quick()).await;
        let mut socket = TcpStream::connect(address).await.unwrap();
        let header = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "a".repeat(500_000)
        );
        let _ = socket.write_all(header.as_bytes()).await;
        let text = read_until_closed(&mut socket, Duration::from_secs(2))
            .await
            .expect("closed");
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 431"),
            "{text}"
        );
    }

    /// A body sent slowly on purpose holds a handler: the request has a
    /// deadline, answered with a JSON reason.
    #[tokio::test]
    async fn a_body_sent_slowly_times_out_with_a_reason() {
        let address = server(quick()).await;
        let mut socket = TcpStream::connect(address).await.unwrap();
        socket
            .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
            .await
            .unwrap();
        let text = read_until_closed(&mut socket, Duration::from_secs(2)).await;
        let text = text.expect("answered and closed within the deadline");
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.contains(r#""error":"timeout""#), "{text}");
    }

    /// A flood of connections from one address takes its own places only:
    /// past its cap its new connections are closed, and another client is
    /// still answered.
    #[tokio::test]
    async fn one_address_cannot_take_every_connection() {
        let limits = ServeLimits {
            header_timeout: Duration::from_secs(5),
            max_connections_per_client: 4,
            ..quick()
        };
        let open = Arc::new(Mutex::new(Open::default()));
        let flooder: IpAddr = "203.0.113.9".parse().unwrap();
        let held: Vec<Place> = (0..4)
            .map(|_| Place::take(&open, flooder, &limits).expect("within the cap"))
            .collect();
        assert!(
            Place::take(&open, flooder, &limits).is_none(),
            "over the cap"
        );
        let reader: IpAddr = "198.51.100.7".parse().unwrap();
        assert!(
            Place::take(&open, reader, &limits).is_some(),
            "another client"
        );
        drop(held);
        assert!(
            Place::take(&open, flooder, &limits).is_some(),
            "places come back"
        );

        // And over real sockets: the fifth from loopback is closed unread.
        let address = server(limits).await;
        let mut sockets = Vec::new();
        for _ in 0..4 {
            sockets.push(TcpStream::connect(address).await.unwrap());
        }
        let mut fifth = TcpStream::connect(address).await.unwrap();
        let _ = fifth.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let text = read_until_closed(&mut fifth, Duration::from_secs(2)).await;
        assert_eq!(text.as_deref(), Some(""), "closed without an answer");
        drop(sockets);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(answered(address).await, "served again once they close");
    }

    /// Who `/who` says asked, when the request says `forwarded`.
    async fn who(address: SocketAddr, forwarded: &[&str]) -> String {
        let mut socket = TcpStream::connect(address).await.unwrap();
        let headers: String = forwarded
            .iter()
            .map(|f| format!("X-Forwarded-For: {f}\r\n"))
            .collect();
        let request = format!("GET /who HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n");
        socket.write_all(request.as_bytes()).await.unwrap();
        let text = read_until_closed(&mut socket, Duration::from_secs(2))
            .await
            .expect("answered");
        text.rsplit("\r\n").next().unwrap_or_default().to_string()
    }

    /// The attack: a client sending `X-Forwarded-For` to pose as another
    /// (a fresh address per request escapes every per-client limit). Only
    /// a trusted proxy is believed, and only for the address it added.
    #[tokio::test]
    async fn only_a_trusted_proxy_names_the_client() {
        let open = server(quick()).await;
        assert_eq!(
            who(open, &["203.0.113.9"]).await,
            "127.0.0.1",
            "not trusted: ignored"
        );

        let behind = server(ServeLimits {
            trusted_proxies: Arc::new(["127.0.0.1".parse().unwrap()]),
            max_connections_per_client: 2,
            ..quick()
        })
        .await;
        assert_eq!(who(behind, &["203.0.113.9"]).await, "203.0.113.9");
        assert_eq!(
            who(behind, &["198.51.100.1, 203.0.113.9"]).await,
            "203.0.113.9",
            "the last hop, the one the proxy added"
        );
        assert_eq!(
            who(behind, &["198.51.100.1", "2001:db8::7"]).await,
            "2001:db8::7",
            "over several headers too"
        );
        assert_eq!(
            who(behind, &["nonsense"]).await,
            "127.0.0.1",
            "unreadable: the proxy itself"
        );
        assert_eq!(who(behind, &[]).await, "127.0.0.1");
        // A proxy carries many readers: the per-address cap is not its.
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(TcpStream::connect(behind).await.unwrap());
        }
        assert_eq!(who(behind, &["203.0.113.10"]).await, "203.0.113.10");
    }
}
