//! A small HTTP proxy on 127.0.0.1 for tests of `HTTPS_PROXY` and `http.proxy`: it opens
//! `CONNECT` tunnels (what clients use for https) and forwards plain-HTTP requests in
//! absolute form, and records every request line it was asked to carry.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

pub struct TestProxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    accept: AbortHandle,
}

#[derive(Default)]
struct Shared {
    request_lines: Mutex<Vec<String>>,
    refuse_tunnels: AtomicBool,
}

impl TestProxy {
    pub async fn start() -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0 for the test proxy");
        let address = listener.local_addr().expect("a bound address");
        let shared = Arc::new(Shared::default());
        let accept_shared = shared.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, accept_shared.clone()));
            }
        });
        TestProxy { address, shared, accept: accept.abort_handle() }
    }

    /// `http://127.0.0.1:PORT`: a value for `HTTPS_PROXY` or `http.proxy`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Every request line received, in order: `CONNECT 127.0.0.1:443 HTTP/1.1`, or
    /// `POST http://127.0.0.1:8080/chat/completions HTTP/1.1` for plain HTTP.
    pub fn request_lines(&self) -> Vec<String> {
        self.shared.request_lines.lock().unwrap().clone()
    }

    /// From now on, answer `CONNECT` with `403 Forbidden` (a proxy whose policy blocks the host).
    pub fn refuse_tunnels(&self) {
        self.shared.refuse_tunnels.store(true, Ordering::SeqCst);
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn relay(mut client: TcpStream, shared: Arc<Shared>) {
    let Some((head, rest)) = read_head(&mut client).await else { return };
    let request_line = head.lines().next().unwrap_or_default().to_string();
    shared.request_lines.lock().unwrap().push(request_line.clone());
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    if method == "CONNECT" {
        if shared.refuse_tunnels.load(Ordering::SeqCst) {
            let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n").await;
            return;
        }
        let Ok(mut upstream) = TcpStream::connect(target).await else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n").await;
            return;
        };
        if client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await.is_err() {
            return;
        }
        if !rest.is_empty() && upstream.write_all(&rest).await.is_err() {
            return;
        }
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        return;
    }
    // Plain HTTP in absolute form: `POST http://host:port/path HTTP/1.1`.
    let Some(authority) = target.strip_prefix("http://").and_then(|rest| rest.split('/').next()) else {
        let _ = client.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").await;
        return;
    };
    let Ok(mut upstream) = TcpStream::connect(authority).await else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n").await;
        return;
    };
    if upstream.write_all(head.as_bytes()).await.is_err() || upstream.write_all(&rest).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

/// The request head up to its blank line, and whatever bytes came after it.
async fn read_head(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            let rest = buffer.split_off(end + 4);
            return Some((String::from_utf8_lossy(&buffer).into_owned(), rest));
        }
        if buffer.len() > 64 * 1024 {
            return None;
        }
    }
}
