//! A guard in front of the JSON-RPC framing.
//!
//! tower-lsp's reader stops for good after the first body that is not JSON (tokio-util's
//! framed reader ends on a decoder error), so one malformed message from a client would kill
//! the server. This guard reads the frames itself: valid JSON goes on to tower-lsp, anything
//! else gets a JSON-RPC parse error (`-32700`, id `null`) and is dropped. Outgoing frames are
//! relayed whole, so the guard's error replies never interleave with the server's messages.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// One framed message: the JSON body without headers.
type Body = Vec<u8>;

/// Larger messages are refused rather than buffered (a 5 MB document is the largest we parse;
/// JSON escaping can double it).
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

enum Frame {
    Body(Body),
    /// A frame whose headers were unusable; the reader resynchronises at the next header.
    Garbage(String),
}

/// Reads one `Content-Length` frame; `None` at the end of input.
async fn read_frame<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<Frame>> {
    let mut content_length: Option<usize> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().ok();
            }
        } else {
            return Ok(Some(Frame::Garbage(format!("not a header: {line:?}"))));
        }
    }
    let Some(length) = content_length else {
        return Ok(Some(Frame::Garbage("missing Content-Length".into())));
    };
    if length > MAX_MESSAGE_BYTES {
        // Skip it without holding it in memory.
        let mut remaining = length as u64;
        let mut sink = tokio::io::sink();
        remaining -= tokio::io::copy(&mut reader.take(remaining), &mut sink).await?;
        if remaining > 0 {
            return Ok(None);
        }
        return Ok(Some(Frame::Garbage(format!("message of {length} bytes is larger than {MAX_MESSAGE_BYTES}"))));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    Ok(Some(Frame::Body(body)))
}

fn encode(body: &[u8]) -> Vec<u8> {
    let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    frame.extend_from_slice(body);
    frame
}

fn parse_error(reason: &str) -> Body {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": -32700, "message": format!("glm-lsp could not read a message: {reason}") },
    })
    .to_string()
    .into_bytes()
}

/// Runs `server` behind the guard: frames from `input` are checked and passed on through
/// `to_server`; the server's frames from `from_server`, plus the guard's own error replies, go
/// to `output`. Returns when the server has finished (after `exit`, or when input ends) and
/// its last messages are written.
pub async fn guard<In, Out, ToServer, FromServer>(
    input: In,
    output: Out,
    mut to_server: ToServer,
    from_server: FromServer,
    server: impl std::future::Future<Output = ()>,
) where
    In: AsyncRead + Unpin,
    Out: AsyncWrite + Unpin,
    ToServer: AsyncWrite + Unpin,
    FromServer: AsyncRead + Unpin,
{
    let (error_sender, mut error_replies) = mpsc::unbounded_channel::<Body>();
    let read_input = async move {
        let mut input = BufReader::with_capacity(64 * 1024, input);
        loop {
            match read_frame(&mut input).await {
                Ok(Some(Frame::Body(body))) => {
                    if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok() {
                        if to_server.write_all(&encode(&body)).await.is_err() {
                            break;
                        }
                    } else {
                        tracing::warn!("dropping a message that is not JSON ({} bytes)", body.len());
                        let _ = error_sender.send(parse_error("the body is not valid JSON"));
                    }
                }
                Ok(Some(Frame::Garbage(reason))) => {
                    tracing::warn!("dropping an unreadable frame: {reason}");
                    let _ = error_sender.send(parse_error(&reason));
                }
                Ok(None) | Err(_) => break,
            }
        }
        // Closing the server's input lets tower-lsp finish as it does when stdin closes.
        let _ = to_server.shutdown().await;
    };
    let relay_output = async move {
        let mut from_server = BufReader::new(from_server);
        let mut output = output;
        loop {
            let body = tokio::select! {
                frame = read_frame(&mut from_server) => match frame {
                    Ok(Some(Frame::Body(body))) => body,
                    // The server closed its output: it has finished.
                    _ => break,
                },
                Some(body) = error_replies.recv() => body,
            };
            if output.write_all(&encode(&body)).await.is_err() || output.flush().await.is_err() {
                break;
            }
        }
    };
    let server_and_output = async move {
        tokio::join!(server, relay_output);
    };
    tokio::pin!(server_and_output);
    tokio::select! {
        _ = read_input => server_and_output.await,
        _ = &mut server_and_output => {}
    }
}
