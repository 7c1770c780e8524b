//! A byte-level server-sent-events parser that does no I/O: feed it whatever the socket
//! delivered, however it was split (inside a line, inside `\r\n`, inside a UTF-8 character),
//! and it yields the same events. Lines are only decoded once complete, so a split character
//! is never seen half.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, when the server named the event.
    pub event: Option<String>,
    /// Every `data:` line of the event joined with `\n`.
    pub data: String,
}

/// Incremental parser following the WHATWG event-stream rules for the fields we use.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of the current, unterminated line.
    line: Vec<u8>,
    /// The previous chunk ended on `\r`: a `\n` at the start of the next one belongs to it.
    after_cr: bool,
    data: String,
    has_data: bool,
    event: Option<String>,
}

impl SseParser {
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// Parses `bytes`, appending every event completed by them to `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<SseEvent>) {
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        while let Some(end) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.line.extend_from_slice(&bytes[..end]);
            let terminator = bytes[end];
            bytes = &bytes[end + 1..];
            if terminator == b'\r' {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            let line = std::mem::take(&mut self.line);
            self.process_line(&line, out);
            // Reuse the allocation for the next line.
            self.line = line;
            self.line.clear();
        }
        self.line.extend_from_slice(bytes);
    }

    /// Bytes held for the current unterminated line and the event being gathered.
    pub fn buffered(&self) -> usize {
        self.line.len() + self.data.len()
    }

    /// The stream ended. An event whose lines are complete but which lacks the final blank
    /// line is dispatched (some servers omit it); a half line is dropped: it was cut.
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        self.line.clear();
        self.after_cr = false;
        self.dispatch(out);
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return; // A comment, used by servers as a keep-alive.
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&String::from_utf8_lossy(value));
                self.has_data = true;
            }
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            // `id` and `retry` matter for browser reconnection only; we never reconnect a
            // generation (it would start over), so they are ignored like unknown fields.
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        let event = self.event.take();
        if !self.has_data {
            return;
        }
        self.has_data = false;
        out.push(SseEvent { event, data: std::mem::take(&mut self.data) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(input: &[u8], cuts: &[usize]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        let mut out = Vec::new();
        let mut start = 0;
        for &cut in cuts {
            parser.feed(&input[start..cut], &mut out);
            start = cut;
        }
        parser.feed(&input[start..], &mut out);
        parser.finish(&mut out);
        out
    }

    const SAMPLE: &str = ": keep-alive\r\n\
        data: {\"a\":\"héllo 你好 🦀\"}\r\n\r\n\
        event: error\n\
        data: line one\n\
        data:line two\n\n\
        data: \n\n\
        id: 7\rdata: cr only\r\r\
        data: [DONE]\n\n";

    fn expected() -> Vec<SseEvent> {
        vec![
            SseEvent { event: None, data: "{\"a\":\"héllo 你好 🦀\"}".into() },
            SseEvent { event: Some("error".into()), data: "line one\nline two".into() },
            SseEvent { event: None, data: String::new() },
            SseEvent { event: None, data: "cr only".into() },
            SseEvent { event: None, data: "[DONE]".into() },
        ]
    }

    #[test]
    fn whole_input() {
        assert_eq!(parse_in_pieces(SAMPLE.as_bytes(), &[]), expected());
    }

    #[test]
    fn split_at_every_byte_boundary() {
        let bytes = SAMPLE.as_bytes();
        for cut in 0..=bytes.len() {
            assert_eq!(parse_in_pieces(bytes, &[cut]), expected(), "cut at {cut}");
        }
    }

    #[test]
    fn split_at_every_pair_of_boundaries() {
        let bytes = SAMPLE.as_bytes();
        for first in 0..=bytes.len() {
            for second in first..=bytes.len() {
                assert_eq!(parse_in_pieces(bytes, &[first, second]), expected(), "cuts at {first}, {second}");
            }
        }
    }

    #[test]
    fn one_byte_at_a_time() {
        let bytes = SAMPLE.as_bytes();
        let cuts: Vec<usize> = (1..bytes.len()).collect();
        assert_eq!(parse_in_pieces(bytes, &cuts), expected());
    }

    #[test]
    fn unterminated_event_is_dispatched_at_end_but_half_line_is_not() {
        assert_eq!(parse_in_pieces(b"data: complete\n", &[]), vec![SseEvent { event: None, data: "complete".into() }]);
        assert_eq!(parse_in_pieces(b"data: {\"half", &[]), vec![]);
    }

    #[test]
    fn invalid_utf8_does_not_panic() {
        let out = parse_in_pieces(b"data: \xff\xfe\n\n", &[]);
        assert_eq!(out.len(), 1);
    }
}
