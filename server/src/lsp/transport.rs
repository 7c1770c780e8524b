//! A guard in front of the JSON-RPC framing.
//!
//! tower-lsp's reader stops for good after the first message it cannot decode (tokio-util's
//! framed reader ends on a decoder error) — a body that is not UTF-8 or not JSON, JSON that
//! `serde_json::Value` refuses (a lone surrogate escape, `1e400`, arrays nested deeper than
//! serde_json's recursion limit), but also well-formed JSON that is not a JSON-RPC message
//! (`"id": 1.5`, `"method": 5`, `"jsonrpc": "1.0"`, `[]`, `null`) — so one bad message from a
//! client would end the session. This guard reads the frames itself and passes on only what
//! tower-lsp decodes, decided by one decoder: tower-lsp's own (UTF-8, then `serde_json` into
//! its message types, or into a shape whose every field decodes as tower-lsp's does), so the
//! two never disagree:
//! - a lone UTF-16 surrogate escape (`"\ud83d"`: a JavaScript client's string cut inside an
//!   emoji) is replaced by `"\ufffd"` before anything decodes it. U+FFFD has the length of
//!   a lone surrogate in every position encoding (one UTF-16 unit, one code point, and three
//!   bytes as WTF-8), so the document keeps every position the editor's copy has, and the
//!   message goes on as the replacement character that a JavaScript UTF-8 encoder would
//!   itself have sent;
//! - a body that is not UTF-8 or not JSON gets `-32700 Parse error`, with the message's id
//!   when it can still be read (so the editor's request does not wait forever), else `null`;
//! - JSON that is not a JSON-RPC message gets `-32600 Invalid Request`, with the message's id
//!   when it can be read and `null` otherwise; a batch (LSP has none) gets one error per
//!   element, an empty batch a single error, as JSON-RPC 2.0 prescribes;
//! - a frame with unusable headers gets `-32700` and the reader finds the next
//!   `Content-Length:` header, wherever it is.
//!
//! Outgoing frames are relayed whole, so the guard's error replies never interleave with the
//! server's messages.

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Request, Response};

/// One framed message: the JSON body without headers.
type Body = Vec<u8>;

/// Larger messages are refused rather than buffered (a 5 MB document is the largest we parse;
/// JSON escaping can double it).
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
/// A header block longer than this is not LSP's.
const MAX_HEADER_BYTES: usize = 8 * 1024;
const CONTENT_LENGTH: &[u8] = b"content-length:";
/// What a frame reader keeps reserved between messages.
const RETAINED_BUFFER_BYTES: usize = 64 * 1024;

enum Frame {
    Body(Body),
    /// A frame whose headers were unusable; the reader resynchronises at the next header.
    Garbage(String),
}

/// Why a header block is unusable, and where to look for the next frame.
struct BadHeaders {
    reason: String,
    /// Search for the next `Content-Length:` from here (relative to the block's start).
    resync_from: usize,
}

/// Reads `Content-Length` frames from any byte stream, recovering from garbage.
struct FrameReader<R> {
    reader: R,
    buffer: Vec<u8>,
    /// After unusable headers: skip ahead to the next `Content-Length:` before parsing.
    resyncing: bool,
    end_of_input: bool,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    fn new(reader: R) -> FrameReader<R> {
        FrameReader { reader, buffer: Vec::with_capacity(64 * 1024), resyncing: false, end_of_input: false }
    }

    /// Reads more input; `false` at the end of input.
    async fn fill(&mut self) -> std::io::Result<bool> {
        if self.end_of_input {
            return Ok(false);
        }
        let mut chunk = [0u8; 64 * 1024];
        let read = self.reader.read(&mut chunk).await?;
        if read == 0 {
            self.end_of_input = true;
            return Ok(false);
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(true)
    }

    /// The next frame; `None` at the end of input (a frame cut by the end is dropped).
    async fn next(&mut self) -> std::io::Result<Option<Frame>> {
        loop {
            if self.resyncing {
                match find_ignore_case(&self.buffer, CONTENT_LENGTH) {
                    Some(start) => {
                        self.buffer.drain(..start);
                        self.resyncing = false;
                    }
                    None => {
                        // Keep what could be the start of a split `Content-Length:`.
                        let keep = self.buffer.len().min(CONTENT_LENGTH.len() - 1);
                        self.buffer.drain(..self.buffer.len() - keep);
                        if !self.fill().await? {
                            return Ok(None);
                        }
                        continue;
                    }
                }
            }
            // Blank lines between frames are tolerated.
            let blank = self.buffer.iter().take_while(|&&byte| byte == b'\r' || byte == b'\n').count();
            self.buffer.drain(..blank);
            let Some(header_end) = header_block_end(&self.buffer) else {
                if self.buffer.len() > MAX_HEADER_BYTES {
                    return Ok(Some(self.garbage(BadHeaders { reason: "headers too long".into(), resync_from: 1 })));
                }
                if !self.fill().await? {
                    return Ok(None);
                }
                continue;
            };
            let length = match parse_headers(&self.buffer[..header_end.headers]) {
                Ok(length) => length,
                Err(bad) => return Ok(Some(self.garbage(bad))),
            };
            if length > MAX_MESSAGE_BYTES {
                let reason = format!("message of {length} bytes is larger than {MAX_MESSAGE_BYTES}");
                return Ok(Some(self.garbage(BadHeaders { reason, resync_from: header_end.body })));
            }
            while self.buffer.len() < header_end.body + length {
                if !self.fill().await? {
                    return Ok(None);
                }
            }
            let body = self.buffer[header_end.body..header_end.body + length].to_vec();
            self.buffer.drain(..header_end.body + length);
            // One large message (a didOpen of a big file) must not keep its size reserved
            // for the rest of the session.
            if self.buffer.capacity() > RETAINED_BUFFER_BYTES && self.buffer.len() <= RETAINED_BUFFER_BYTES {
                self.buffer.shrink_to(RETAINED_BUFFER_BYTES);
            }
            return Ok(Some(Frame::Body(body)));
        }
    }

    fn garbage(&mut self, bad: BadHeaders) -> Frame {
        // At least one byte, so that the same `Content-Length:` is not found again.
        let skip = bad.resync_from.max(1).min(self.buffer.len());
        self.buffer.drain(..skip);
        self.resyncing = true;
        Frame::Garbage(bad.reason)
    }
}

struct HeaderEnd {
    /// Length of the header lines, without the blank line.
    headers: usize,
    /// Where the body starts.
    body: usize,
}

/// The end of the header block: the first empty line (`\r\n\r\n` or `\n\n`).
fn header_block_end(buffer: &[u8]) -> Option<HeaderEnd> {
    let mut line_start = 0;
    while let Some(newline) = buffer[line_start..].iter().position(|&byte| byte == b'\n') {
        let line_end = line_start + newline;
        let line = &buffer[line_start..line_end];
        if line.is_empty() || line == b"\r" {
            return Some(HeaderEnd { headers: line_start, body: line_end + 1 });
        }
        line_start = line_end + 1;
        if line_start > MAX_HEADER_BYTES {
            return None;
        }
    }
    None
}

/// The `Content-Length` of a header block; every line must be `Name: value`.
fn parse_headers(block: &[u8]) -> Result<usize, BadHeaders> {
    let mut content_length = None;
    let mut line_start = 0;
    for line in block.split(|&byte| byte == b'\n') {
        let line_end = line_start + line.len() + 1;
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches('\r');
        if text.is_empty() {
            line_start = line_end;
            continue;
        }
        let Some((name, value)) = text.split_once(':') else {
            return Err(BadHeaders { reason: format!("not a header: {text:?}"), resync_from: 1 });
        };
        let is_token = !name.is_empty() && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-');
        if !is_token {
            return Err(BadHeaders { reason: format!("not a header: {text:?}"), resync_from: 1 });
        }
        if name.eq_ignore_ascii_case("content-length") {
            match value.trim().parse::<usize>() {
                Ok(length) => content_length = Some(length),
                Err(_) => {
                    return Err(BadHeaders {
                        reason: format!("Content-Length is not a number: {:?}", value.trim()),
                        resync_from: line_end,
                    })
                }
            }
        }
        line_start = line_end;
    }
    content_length.ok_or(BadHeaders { reason: "missing Content-Length".into(), resync_from: 1 })
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window.eq_ignore_ascii_case(needle))
}

fn encode(body: &[u8]) -> Vec<u8> {
    let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    frame.extend_from_slice(body);
    frame
}

/// The message kinds tower-lsp decodes, with its own types: what it accepts, we pass on.
#[derive(serde::Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum Incoming {
    Response(Response),
    Request(Request),
}

/// What to do with one body.
enum Verdict {
    /// Pass this body on (the one received, with any lone surrogate replaced).
    Forward(Body),
    /// Reply with this error body instead.
    Refuse(Body),
}

/// A request or notification exactly as tower-lsp's `Request` accepts one, read without
/// building its params: a 5 MB `didOpen` is checked in the time it takes to scan it twice
/// (see `is_request`, and the property tests that hold this to tower-lsp's own types).
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct RequestShape<'a> {
    #[serde(borrow)]
    jsonrpc: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    method: std::borrow::Cow<'a, str>,
    #[serde(default)]
    params: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    id: Option<IdShape>,
}

/// Any JSON value that `serde_json::Value` decodes, checked by the same parser calls without
/// building it: strings unescaped (a lone surrogate refused), numbers range-checked (`1e400`
/// refused), the recursion limit kept. `IgnoredAny` skips all three checks, while tower-lsp's
/// message type, an untagged enum, first reads the whole body with them.
struct DecodesAsValue;

impl<'de> serde::Deserialize<'de> for DecodesAsValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<DecodesAsValue, D::Error> {
        deserializer.deserialize_any(DecodesAsValue)
    }
}

impl<'de> serde::de::Visitor<'de> for DecodesAsValue {
    type Value = DecodesAsValue;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<DecodesAsValue, E> {
        Ok(DecodesAsValue)
    }

    fn visit_i64<E>(self, _: i64) -> Result<DecodesAsValue, E> {
        Ok(DecodesAsValue)
    }

    fn visit_u64<E>(self, _: u64) -> Result<DecodesAsValue, E> {
        Ok(DecodesAsValue)
    }

    fn visit_f64<E>(self, _: f64) -> Result<DecodesAsValue, E> {
        Ok(DecodesAsValue)
    }

    fn visit_str<E>(self, _: &str) -> Result<DecodesAsValue, E> {
        Ok(DecodesAsValue)
    }

    fn visit_unit<E>(self) -> Result<DecodesAsValue, E> {
        Ok(DecodesAsValue)
    }

    fn visit_none<E>(self) -> Result<DecodesAsValue, E> {
        Ok(DecodesAsValue)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<DecodesAsValue, D::Error> {
        serde::Deserialize::deserialize(deserializer)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<DecodesAsValue, A::Error> {
        while items.next_element::<DecodesAsValue>()?.is_some() {}
        Ok(DecodesAsValue)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut entries: A) -> Result<DecodesAsValue, A::Error> {
        while entries.next_key::<DecodesAsValue>()?.is_some() {
            entries.next_value::<DecodesAsValue>()?;
        }
        Ok(DecodesAsValue)
    }
}

/// Only the id, everything else skipped unchecked: to answer a body that does not decode
/// with the id its sender waits on.
#[derive(serde::Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<IdShape>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum IdShape {
    Number(i64),
    String(String),
    Null,
}

/// Two scans, no tree: the body reads as JSON the way tower-lsp's untagged message type reads
/// it (every value, unknown fields included), and its fields have `Request`'s shape.
fn is_request(body: &str) -> bool {
    serde_json::from_str::<DecodesAsValue>(body).is_ok()
        && serde_json::from_str::<RequestShape>(body).is_ok_and(|request| request.jsonrpc == "2.0")
}

/// Decides one body as tower-lsp's codec would: UTF-8 first (`str::from_utf8`), then
/// `serde_json::from_str` into its message types.
fn check(mut body: Body) -> Verdict {
    let replaced = replace_lone_surrogates(&mut body);
    let Ok(text) = std::str::from_utf8(&body) else {
        let id = id_of(&String::from_utf8_lossy(&body));
        return Verdict::Refuse(error_reply(id, -32700, "Parse error: the body is not UTF-8"));
    };
    // Requests and notifications take the fast path; responses (rare, small) and anything
    // refused are decided by tower-lsp's own types.
    if is_request(text) || serde_json::from_str::<Incoming>(text).is_ok() {
        if replaced > 0 {
            tracing::warn!("replaced {replaced} lone UTF-16 surrogate escape(s) with U+FFFD");
        }
        return Verdict::Forward(body);
    }
    let json = match serde_json::from_str::<Value>(text) {
        Ok(json) => json,
        Err(error) => {
            return Verdict::Refuse(error_reply(id_of(text), -32700, &format!("Parse error: {error}")));
        }
    };
    let reply = match &json {
        Value::Array(items) if items.is_empty() => error_body(Value::Null, -32600, "Invalid Request: an empty batch"),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| error_body(readable_id(item), -32600, "Invalid Request: LSP does not support batches"))
                .collect(),
        ),
        other => error_body(readable_id(other), -32600, &format!("Invalid Request: {}", what_is_wrong(other))),
    };
    Verdict::Refuse(reply.to_string().into_bytes())
}

/// `check`, and should it ever panic, a parse error rather than the end of the session.
fn checked(body: Body) -> Verdict {
    std::panic::catch_unwind(|| check(body)).unwrap_or_else(|_| {
        tracing::error!("the framing guard panicked on a message");
        Verdict::Refuse(error_reply(Value::Null, -32700, "Parse error: internal error while reading the message"))
    })
}

/// The id of a body that does not decode, when the rest of it can be skipped over.
fn id_of(text: &str) -> Value {
    match serde_json::from_str::<IdOnly>(text) {
        Ok(IdOnly { id: Some(IdShape::Number(id)) }) => Value::from(id),
        Ok(IdOnly { id: Some(IdShape::String(id)) }) => Value::String(id),
        _ => Value::Null,
    }
}

/// Replaces each `\uD800`–`\uDFFF` escape that is not half of a pair with `\uFFFD`, in
/// place (the same six bytes); returns how many. A backslash means an escape only inside a
/// string, and outside one the body is no JSON whatever its escapes say, so the scan needs
/// no string state: it takes escapes left to right, `\\` as one.
fn replace_lone_surrogates(body: &mut [u8]) -> usize {
    fn unit_at(body: &[u8], at: usize) -> Option<u16> {
        let escape = body.get(at..at + 6)?;
        if escape[0] != b'\\' || escape[1] != b'u' {
            return None;
        }
        let digits = &escape[2..];
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    }
    let is_high = |unit: u16| (0xD800..0xDC00).contains(&unit);
    let is_low = |unit: u16| (0xDC00..0xE000).contains(&unit);
    let mut replaced = 0;
    let mut at = 0;
    while let Some(found) = memchr_backslash(&body[at..]) {
        at += found;
        match unit_at(body, at) {
            Some(high) if is_high(high) && unit_at(body, at + 6).is_some_and(is_low) => at += 12,
            Some(unit) if is_high(unit) || is_low(unit) => {
                body[at + 2..at + 6].copy_from_slice(b"FFFD");
                replaced += 1;
                at += 6;
            }
            Some(_) => at += 6,
            // `\\`, `\n`, …: the escaped character is never the start of another escape.
            None => at = (at + 2).min(body.len()),
        }
    }
    replaced
}

fn memchr_backslash(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&byte| byte == b'\\')
}

/// The request's id if it is one JSON-RPC allows (an integer or a string), else `null`.
fn readable_id(message: &Value) -> Value {
    match message.get("id") {
        Some(Value::String(id)) => Value::String(id.clone()),
        Some(Value::Number(id)) if id.is_i64() => Value::Number(id.clone()),
        _ => Value::Null,
    }
}

/// A short reason, for the client's log.
fn what_is_wrong(message: &Value) -> String {
    let Some(object) = message.as_object() else {
        return "a message must be a JSON object".into();
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return "`jsonrpc` must be \"2.0\"".into();
    }
    match object.get("id") {
        Some(Value::Number(id)) if !id.is_i64() => return "`id` must be an integer or a string".into(),
        Some(Value::Object(_) | Value::Array(_) | Value::Bool(_)) => {
            return "`id` must be an integer or a string".into()
        }
        _ => {}
    }
    if object.get("method").is_some_and(|method| !method.is_string()) {
        return "`method` must be a string".into();
    }
    "not a request, notification or response".into()
}

fn error_body(id: Value, code: i64, message: &str) -> Value {
    serde_json::json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": format!("glm-lsp: {message}") } })
}

fn error_reply(id: Value, code: i64, message: &str) -> Body {
    error_body(id, code, message).to_string().into_bytes()
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
        let mut input = FrameReader::new(input);
        loop {
            match input.next().await {
                Ok(Some(Frame::Body(body))) => match checked(body) {
                    Verdict::Forward(body) => {
                        if to_server.write_all(&encode(&body)).await.is_err() {
                            break;
                        }
                    }
                    Verdict::Refuse(reply) => {
                        tracing::warn!(
                            "refusing a message tower-lsp cannot decode: {}",
                            String::from_utf8_lossy(&reply)
                        );
                        let _ = error_sender.send(reply);
                    }
                },
                Ok(Some(Frame::Garbage(reason))) => {
                    tracing::warn!("dropping an unreadable frame: {reason}");
                    let _ = error_sender.send(error_reply(
                        Value::Null,
                        -32700,
                        &format!("could not read a message: {reason}"),
                    ));
                }
                Ok(None) | Err(_) => break,
            }
        }
        // Closing the server's input lets tower-lsp finish as it does when stdin closes.
        let _ = to_server.shutdown().await;
    };
    let relay_output = async move {
        let mut from_server = FrameReader::new(BufReader::new(from_server));
        let mut output = output;
        loop {
            let body = tokio::select! {
                frame = from_server.next() => match frame {
                    Ok(Some(Frame::Body(body))) => body,
                    // tower-lsp writes only well-formed frames.
                    Ok(Some(Frame::Garbage(_))) => continue,
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    async fn frames(input: &[u8]) -> Vec<Result<String, String>> {
        let mut reader = FrameReader::new(input);
        let mut out = Vec::new();
        while let Some(frame) = reader.next().await.unwrap() {
            out.push(match frame {
                Frame::Body(body) => Ok(String::from_utf8(body).unwrap()),
                Frame::Garbage(reason) => Err(reason),
            });
        }
        out
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[tokio::test]
    async fn resynchronises_after_every_kind_of_bad_header() {
        let good = frame(r#"{"a":1}"#);
        let cases = [
            format!("Content-Type: x\r\n\r\n{{}}{good}"),
            format!("Content-Length: twelve\r\n\r\n{{\"x\":1}}{good}"),
            format!("not a header at all\r\n\r\n{good}"),
            format!("Content-Length: 3\r\n\r\n{{\"x\": 1}}{good}"),
            format!("Content-Length: 999999999999\r\n\r\n{good}"),
            format!("\r\n\r\n{good}"),
            format!("{}{good}", "x".repeat(20_000)),
        ];
        for case in cases {
            let frames = frames(case.as_bytes()).await;
            assert_eq!(frames.last(), Some(&Ok(r#"{"a":1}"#.to_string())), "{case:?} gave {frames:?}");
        }
    }

    #[tokio::test]
    async fn lf_only_headers_and_lowercase_names_are_read() {
        let input = "content-length: 2\n\n{}Content-Length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n[]";
        assert_eq!(frames(input.as_bytes()).await, [Ok("{}".to_string()), Ok("[]".to_string())]);
    }

    fn refusal(body: &str) -> Value {
        match check(body.as_bytes().to_vec()) {
            Verdict::Forward(_) => panic!("{body} was forwarded"),
            Verdict::Refuse(reply) => serde_json::from_slice(&reply).unwrap(),
        }
    }

    #[test]
    fn json_that_is_not_json_rpc_gets_invalid_request() {
        for (body, id) in [
            (r#"{"jsonrpc":"2.0","id":1.5,"method":"initialize"}"#, Value::Null),
            (r#"{"jsonrpc":"2.0","id":{"a":1},"method":"initialize"}"#, Value::Null),
            (r#"{"jsonrpc":"2.0","id":7,"method":5}"#, serde_json::json!(7)),
            (r#"{"jsonrpc":"1.0","id":"x","method":"shutdown"}"#, serde_json::json!("x")),
            (r#"{"id":3,"method":"shutdown"}"#, serde_json::json!(3)),
            ("null", Value::Null),
            ("42", Value::Null),
            (r#""text""#, Value::Null),
            (r#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"x"}"#, Value::Null),
        ] {
            let reply = refusal(body);
            assert_eq!(reply["error"]["code"], -32600, "{body}: {reply}");
            assert_eq!(reply["id"], id, "{body}: {reply}");
        }
        let empty = refusal("[]");
        assert_eq!((empty["error"]["code"].as_i64(), &empty["id"]), (Some(-32600), &Value::Null));
        let batch = refusal(r#"[{"jsonrpc":"2.0","id":1,"method":"shutdown"},5]"#);
        assert_eq!(batch.as_array().unwrap().len(), 2);
        assert_eq!(batch[0]["id"], 1);
        assert_eq!(batch[1]["id"], Value::Null);
        let not_json = refusal("{ nope");
        assert_eq!(not_json["error"]["code"], -32700);
    }

    #[test]
    fn valid_messages_are_forwarded() {
        for body in [
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":"a","method":"shutdown"}"#,
            r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":5,"result":null}"#,
            r#"{"jsonrpc":"2.0","id":5,"error":{"code":-32601,"message":"no"}}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"x"}"#,
        ] {
            assert!(
                matches!(check(body.as_bytes().to_vec()), Verdict::Forward(forwarded) if forwarded == body.as_bytes()),
                "{body}"
            );
        }
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| serde_json::json!(f)),
            prop_oneof![Just("2.0".to_string()), Just("1.0".to_string()), "[a-z/$]{0,12}"].prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("jsonrpc"),
                        Just("id"),
                        Just("method"),
                        Just("params"),
                        Just("result"),
                        Just("error"),
                        Just("code"),
                        Just("message"),
                        Just("data")
                    ]
                    .prop_map(str::to_string),
                    inner,
                    0..6
                )
                .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn the_fast_path_is_as_strict_as_tower_lsp() {
        for body in [
            r#"{"jsonrpc":"2.0","method":null}"#,
            r#"{"jsonrpc":"2.0","method":"x","method":"y"}"#,
            r#"{"jsonrpc":"2.0","method":"x","params":1,"params":2}"#,
            r#"{"jsonrpc":2.0,"method":"x"}"#,
            r#"{"jsonrpc":"2.0","id":1.0,"method":"x"}"#,
            r#"{"jsonrpc":"2.0","id":true,"method":"x"}"#,
        ] {
            assert!(!is_request(body), "{body}");
            assert!(serde_json::from_str::<Incoming>(body).is_err(), "{body}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever is refused would have ended tower-lsp's loop, and whatever is forwarded it
        /// decodes; every refusal is a JSON-RPC error (or a list of them).
        #[test]
        fn the_guard_agrees_with_tower_lsp(value in json_value()) {
            let body = value.to_string();
            if is_request(&body) {
                prop_assert!(serde_json::from_str::<Incoming>(&body).is_ok(), "fast path accepted {}", body);
            }
            match check(body.clone().into_bytes()) {
                Verdict::Forward(forwarded) => {
                    prop_assert_eq!(&forwarded, body.as_bytes());
                    prop_assert!(serde_json::from_str::<Incoming>(&body).is_ok());
                }
                Verdict::Refuse(reply) => {
                    prop_assert!(serde_json::from_str::<Incoming>(&body).is_err());
                    let reply: Value = serde_json::from_slice(&reply).unwrap();
                    let replies = match reply { Value::Array(items) => items, single => vec![single] };
                    for reply in replies {
                        prop_assert_eq!(&reply["jsonrpc"], "2.0");
                        prop_assert!(reply["error"]["code"] == -32600 || reply["error"]["code"] == -32700);
                    }
                }
            }
        }
    }

    #[test]
    fn lone_surrogates_become_the_replacement_character_and_pairs_stay() {
        let cases = [
            (r#"{"a":"\ud83d"}"#, r#"{"a":"\uFFFD"}"#, 1),
            (r#"{"a":"x\uDE00y"}"#, r#"{"a":"x\uFFFDy"}"#, 1),
            (r#"{"a":"\ud83d\ude00"}"#, r#"{"a":"\ud83d\ude00"}"#, 0),
            (r#"{"a":"\ude00\ud83d"}"#, r#"{"a":"\uFFFD\uFFFD"}"#, 2),
            (r#"{"a":"\ud83d\ud83d\ude00"}"#, r#"{"a":"\uFFFD\ud83d\ude00"}"#, 1),
            // An escaped backslash before `ud800` is text, not an escape.
            (r#"{"a":"\\ud800"}"#, r#"{"a":"\\ud800"}"#, 0),
            (r#"{"a":"\\\ud800"}"#, r#"{"a":"\\\uFFFD"}"#, 1),
            (r#"{"a":"\u00e9\n\ud800"}"#, r#"{"a":"\u00e9\n\uFFFD"}"#, 1),
            // Cut short at the end, or not hex digits: left for the decoder to refuse.
            (r#"{"a":"\ud8"#, r#"{"a":"\ud8"#, 0),
            (r#"{"a":"\"#, r#"{"a":"\"#, 0),
            ("\\", "\\", 0),
            (r#"{"a":"\u+d80\u-d80"}"#, r#"{"a":"\u+d80\u-d80"}"#, 0),
        ];
        for (body, expected, count) in cases {
            let mut bytes = body.as_bytes().to_vec();
            assert_eq!(replace_lone_surrogates(&mut bytes), count, "{body}");
            assert_eq!(String::from_utf8(bytes).unwrap(), expected, "{body}");
        }
    }

    #[test]
    fn what_serde_json_values_refuse_is_refused_or_repaired_never_forwarded_broken() {
        let depth = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
        // Forwarded, with the surrogate replaced: the method, a key, a value.
        for body in [
            r#"{"jsonrpc":"2.0","method":"textDocument/didOpen\ud800","params":{}}"#,
            r#"{"jsonrpc":"2.0","method":"x","params":{"\udc00key":1}}"#,
            r#"{"jsonrpc":"2.0","id":3,"method":"x","params":{"text":"\ud83d"}}"#,
        ] {
            let Verdict::Forward(forwarded) = check(body.as_bytes().to_vec()) else { panic!("{body} was refused") };
            let forwarded = String::from_utf8(forwarded).unwrap();
            assert!(serde_json::from_str::<Incoming>(&forwarded).is_ok(), "{forwarded}");
            assert!(forwarded.contains("\\uFFFD"), "{forwarded}");
        }
        // Refused as parse errors, with the id when it can be read.
        for (body, id) in [
            (r#"{"jsonrpc":"2.0","id":4,"method":"x","params":{"n":1e400}}"#.to_string(), serde_json::json!(4)),
            (
                format!(r#"{{"jsonrpc":"2.0","id":"five","method":"x","params":{}}}"#, depth(100_000)),
                serde_json::json!("five"),
            ),
            (format!(r#"{{"jsonrpc":"2.0","method":"x","params":{}}}"#, depth(129)), Value::Null),
            (r#"{"jsonrpc":"2.0","id":-6,"method":"x","params":[-1e309]}"#.to_string(), serde_json::json!(-6)),
        ] {
            let reply = refusal(&body);
            assert_eq!(reply["error"]["code"], -32700, "{reply}");
            assert_eq!(reply["id"], id, "{reply}");
        }
        // Nested as deep as serde_json allows: forwarded.
        let deep = format!(r#"{{"jsonrpc":"2.0","method":"x","params":{}}}"#, depth(126));
        assert!(serde_json::from_str::<Incoming>(&deep).is_ok());
        assert!(matches!(check(deep.into_bytes()), Verdict::Forward(_)));
        // Not UTF-8: inside a string, in a key, and where JSON has no string.
        for body in [
            &b"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"x\",\"params\":{\"t\":\"\xff\"}}"[..],
            &b"{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":{\"\xc3\x28\":1}}"[..],
            &b"\xef\xbb\xbf{\"jsonrpc\":\"2.0\",\"method\":\"x\"}\xed\xa0\x80"[..],
        ] {
            let Verdict::Refuse(reply) = check(body.to_vec()) else { panic!("{body:?} was forwarded") };
            let reply: Value = serde_json::from_slice(&reply).unwrap();
            assert_eq!(reply["error"]["code"], -32700, "{reply}");
        }
        let Verdict::Refuse(reply) =
            check(b"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"x\",\"params\":\"\xff\"}".to_vec())
        else {
            panic!("forwarded")
        };
        assert_eq!(serde_json::from_slice::<Value>(&reply).unwrap()["id"], 7);
    }

    /// JSON text with what `Value` refuses and `IgnoredAny` skips, in every place.
    fn hazardous_body() -> impl Strategy<Value = Vec<u8>> {
        let hazard = prop_oneof![
            Just(r#""\ud800""#.to_string()),
            Just(r#""\udfff""#.to_string()),
            Just(r#""a\ud83d\ude00b""#.to_string()),
            Just(r#""\\ud800""#.to_string()),
            Just("1e400".to_string()),
            Just("-1e400".to_string()),
            Just("1.7976931348623157e308".to_string()),
            Just("18446744073709551616".to_string()),
            Just("-9223372036854775809".to_string()),
            Just("0.5".to_string()),
            Just("NaN".to_string()),
            Just("Infinity".to_string()),
            (120usize..135).prop_map(|levels| format!("{}{}", "[".repeat(levels), "]".repeat(levels))),
            Just("\u{1}".to_string()),
            Just(r#""\x""#.to_string()),
            Just("\u{fffd}".to_string()),
            Just(r#"{"\udc00":1}"#.to_string()),
        ];
        let field =
            prop_oneof![Just("params"), Just("id"), Just("method"), Just("jsonrpc"), Just("other"), Just("\\ud800")];
        (proptest::collection::vec((field, hazard), 0..3), any::<bool>(), proptest::option::of(0usize..200)).prop_map(
            |(fields, with_method, invalid_byte_at)| {
                let mut body = String::from(r#"{"jsonrpc":"2.0""#);
                if with_method {
                    body.push_str(r#","method":"m""#);
                }
                for (name, value) in fields {
                    body.push_str(&format!(r#","{name}":{value}"#));
                }
                body.push('}');
                let mut bytes = body.into_bytes();
                if let Some(at) = invalid_byte_at {
                    let at = at.min(bytes.len());
                    bytes.insert(at, 0xff);
                }
                bytes
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Whatever the guard forwards, tower-lsp's codec decodes (UTF-8, then its types);
        /// whatever it refuses, tower-lsp could not have decoded even after the repair.
        #[test]
        fn the_guard_agrees_with_tower_lsp_on_hazardous_text(body in hazardous_body()) {
            let decodes = |bytes: &[u8]| std::str::from_utf8(bytes).is_ok_and(|text| serde_json::from_str::<Incoming>(text).is_ok());
            let mut repaired = body.clone();
            replace_lone_surrogates(&mut repaired);
            match check(body.clone()) {
                Verdict::Forward(forwarded) => {
                    prop_assert_eq!(&forwarded, &repaired);
                    prop_assert!(decodes(&forwarded), "{}", String::from_utf8_lossy(&forwarded));
                }
                Verdict::Refuse(reply) => {
                    prop_assert!(!decodes(&repaired), "{}", String::from_utf8_lossy(&body));
                    let reply: Value = serde_json::from_slice(&reply).unwrap();
                    let replies = match reply { Value::Array(items) => items, single => vec![single] };
                    for reply in replies {
                        prop_assert!(reply["error"]["code"] == -32600 || reply["error"]["code"] == -32700);
                    }
                }
            }
        }
    }
}
