//! The model as the rest of the server sees it: one async call behind a small trait, so
//! features can be tested with a fake and the real client (`glm`) is the only network I/O.

use std::path::Path;
use std::sync::Arc;

use futures::future::BoxFuture;

use crate::context::Exclude;
use crate::privacy::{redact_recording, redact_recording_known, REDACTED};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    System,
    User,
    Assistant,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> ChatMessage {
        ChatMessage { role: Role::System, content: content.into() }
    }

    pub fn user(content: impl Into<String>) -> ChatMessage {
        ChatMessage { role: Role::User, content: content.into() }
    }
}

/// Interactive requests (completions) are sent before background ones (code actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Interactive,
    Background,
}

/// The messages of one request as they leave the machine. [`Prompt::assemble`] is the only
/// way to make one, and it applies `context.exclude` and redaction, so no feature can send
/// a file the user excluded or a credential in clear text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Prompt {
    messages: Vec<ChatMessage>,
    /// The lines whose credentials were replaced, to put them back where an answer repeats
    /// such a line (an action's rewrite must keep the user's secret, not the placeholder).
    redacted_lines: Arc<[RedactedLine]>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RedactedLine {
    /// The redacted line without its indentation and line break.
    text: String,
    /// Each placeholder's offset in `text` and the credential it replaced.
    secrets: Vec<(usize, String)>,
}

/// A prompt that may not be sent: it quotes a file the user excluded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} matches context.exclude, so it is never sent to the model")]
pub struct Excluded {
    pub file: String,
}

impl Prompt {
    /// The prompt of `messages`, which quote the files `quoted` (the document of a completion
    /// or an action, the code under test and its test file): refused when one of them matches
    /// `exclude`, and every credential-looking string redacted.
    pub fn assemble(
        messages: Vec<ChatMessage>,
        quoted: &[&Path],
        exclude: &Exclude,
        root: Option<&Path>,
    ) -> Result<Prompt, Excluded> {
        if let Some(file) = quoted.iter().find(|file| exclude.is_excluded(file, root)) {
            let shown = root.and_then(|root| file.strip_prefix(root).ok()).unwrap_or(file);
            return Err(Excluded { file: shown.display().to_string() });
        }
        // Credentials recognised anywhere in the prompt are hidden everywhere in it: a test
        // runner's output repeats the code's literal without the name that gave it away.
        let known: Vec<String> = messages
            .iter()
            .flat_map(|message| redact_recording(&message.content).secrets)
            .map(|(_, secret)| secret)
            .collect();
        if known.is_empty() {
            // Nothing looked like a credential: the usual case, one scan per message.
            return Ok(Prompt { messages, redacted_lines: Arc::default() });
        }
        let mut redacted_lines = Vec::new();
        let messages = messages
            .into_iter()
            .map(|message| {
                let redacted = redact_recording_known(&message.content, &known);
                if redacted.secrets.is_empty() {
                    return message;
                }
                redacted_lines.extend(lines_with_secrets(&redacted.text, &redacted.secrets));
                ChatMessage { role: message.role, content: redacted.text.into_owned() }
            })
            .collect();
        Ok(Prompt { messages, redacted_lines: redacted_lines.into() })
    }

    pub fn messages(&self) -> &[ChatMessage] {
        &self.messages
    }

    /// `answer` with the credentials put back on every line that repeats a redacted line of
    /// the prompt (indentation aside). A placeholder on a line the model changed stays: which
    /// credential it stood for is a guess, and callers that write code refuse it.
    pub fn restore(&self, answer: &str) -> String {
        if self.redacted_lines.is_empty() || !answer.contains(REDACTED) {
            return answer.to_string();
        }
        let mut restored = String::with_capacity(answer.len());
        for line in answer.split_inclusive('\n') {
            let trimmed = line.trim();
            let mut same_text = self.redacted_lines.iter().filter(|redacted| redacted.text == trimmed);
            let first = same_text.next();
            // Two lines that read the same but hid different credentials: which one the
            // answer means is a guess, so neither is put back.
            let unambiguous = first.filter(|first| same_text.all(|other| other.secrets == first.secrets));
            match unambiguous {
                Some(redacted) => {
                    let indent = &line[..line.len() - line.trim_start().len()];
                    let ending = &line[indent.len() + trimmed.len()..];
                    restored.push_str(indent);
                    let mut copied = 0;
                    for (at, secret) in &redacted.secrets {
                        restored.push_str(&trimmed[copied..*at]);
                        restored.push_str(secret);
                        copied = at + REDACTED.len();
                    }
                    restored.push_str(&trimmed[copied..]);
                    restored.push_str(ending);
                }
                None => restored.push_str(line),
            }
        }
        restored
    }
}

impl std::ops::Deref for Prompt {
    type Target = [ChatMessage];

    fn deref(&self) -> &[ChatMessage] {
        &self.messages
    }
}

/// The lines of `text` holding placeholders, each with the credentials of its placeholders.
fn lines_with_secrets(text: &str, secrets: &[(usize, String)]) -> Vec<RedactedLine> {
    let mut lines: Vec<RedactedLine> = Vec::new();
    let mut line_of_last: Option<usize> = None;
    for &(at, ref secret) in secrets {
        let line_start = text[..at].rfind('\n').map_or(0, |newline| newline + 1);
        let line_end = text[at..].find('\n').map_or(text.len(), |newline| at + newline);
        let line = &text[line_start..line_end];
        let indent = line.len() - line.trim_start().len();
        let offset = at - line_start - indent;
        if line_of_last == Some(line_start) {
            if let Some(last) = lines.last_mut() {
                last.secrets.push((offset, secret.clone()));
                continue;
            }
        }
        line_of_last = Some(line_start);
        lines.push(RedactedLine { text: line.trim().to_string(), secrets: vec![(offset, secret.clone())] });
    }
    lines
}

/// Sends `request` to `model` and restores, in the answer, the credentials its prompt's
/// redaction replaced on lines the answer repeats. Every feature asks through this.
pub async fn ask(model: &dyn Model, request: ModelRequest, events: EventSink) -> Result<ModelAnswer, ModelError> {
    let prompt = request.messages.clone();
    let mut answer = model.chat(request, events).await?;
    answer.content = prompt.restore(&answer.content);
    Ok(answer)
}

#[derive(Debug, Clone)]
pub struct ModelRequest {
    pub messages: Prompt,
    pub urgency: Urgency,
    pub thinking: bool,
    pub max_tokens: Option<u32>,
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    Complete,
    /// Hit `max_tokens`: the answer is cut off and must not be used as if whole.
    Truncated,
    /// Refused by the provider's content filter.
    Blocked,
    Other(String),
}

#[derive(Debug, Clone)]
pub struct ModelAnswer {
    pub content: String,
    pub finish: Finish,
    pub reasoning_chars: usize,
}

/// What is happening while the model works, for progress reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelEvent {
    Queued,
    Thinking { tokens: usize },
    Writing { tokens: usize },
    Retrying { attempt: u32, reason: String },
}

/// A failure, with words fit to show the user (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ModelError {
    pub kind: ModelErrorKind,
    /// What notices are de-duplicated by: one notice per cause (`code 1113`, `HTTP 401`,
    /// `tls api.z.ai`), never one for several causes.
    pub cause: String,
    pub message: String,
}

impl ModelError {
    /// An error whose cause is its kind (for models without business codes, and fakes).
    pub fn new(kind: ModelErrorKind, message: impl Into<String>) -> ModelError {
        ModelError { kind, cause: format!("{kind:?}"), message: message.into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelErrorKind {
    /// Missing or rejected key: the user must act; retrying per keystroke would only nag.
    Auth,
    /// Balance, account state or a used-up quota: the account needs attention.
    Account,
    /// A setting must change: the model, a parameter, the endpoint.
    Config,
    /// The provider's content filter blocked the request or its answer.
    Blocked,
    /// The prompt is longer than the model takes: the caller may retry once with a prompt
    /// built from a smaller context budget.
    PromptTooLong,
    /// Rate limits, overload or server errors that outlasted the retries.
    Busy,
    /// Connecting failed: DNS, TLS, a proxy, a refused connection, a timeout.
    Network,
    Cut,
    Other,
}

pub type EventSink = Box<dyn FnMut(ModelEvent) + Send>;

pub trait Model: Send + Sync + 'static {
    /// Runs one chat request. Dropping the future cancels it, upstream included. Features
    /// call [`ask`], which also restores the answer's redacted lines.
    fn chat(&self, request: ModelRequest, events: EventSink) -> BoxFuture<'static, Result<ModelAnswer, ModelError>>;

    /// The model id, for item details and logs.
    fn name(&self) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "correct-horse-battery-staple-42";

    fn prompt(code: &str) -> Prompt {
        Prompt::assemble(vec![ChatMessage::user(code)], &[], &Exclude::default(), None).unwrap()
    }

    #[test]
    fn credentials_never_reach_the_messages_and_come_back_on_repeated_lines() {
        let code = format!("def connect():\n    PASSWORD = \"{SECRET}\"\n    return login(PASSWORD)\n");
        let prompt = prompt(&code);
        assert!(!prompt.messages()[0].content.contains(SECRET));
        // The model dedents the function and changes another line.
        let answer = "```python\ndef connect():\n  PASSWORD = \"[REDACTED]\"\n  return login(user, PASSWORD)\n```";
        let restored = prompt.restore(answer);
        assert_eq!(
            restored,
            format!("```python\ndef connect():\n  PASSWORD = \"{SECRET}\"\n  return login(user, PASSWORD)\n```")
        );
        // A changed line keeps its placeholder: which secret it meant is a guess.
        assert_eq!(prompt.restore("PASSWORD: str = \"[REDACTED]\"\n"), "PASSWORD: str = \"[REDACTED]\"\n");
    }

    #[test]
    fn lines_that_read_the_same_but_hid_different_credentials_are_not_guessed() {
        let code = format!("PASSWORD = \"{SECRET}\"\n");
        let other = "PASSWORD = \"another-credential-0000-1111\"\n";
        let messages = vec![ChatMessage::user(code), ChatMessage::user(other)];
        let prompt = Prompt::assemble(messages, &[], &Exclude::default(), None).unwrap();
        assert_eq!(prompt.restore("PASSWORD = \"[REDACTED]\"\n"), "PASSWORD = \"[REDACTED]\"\n");
    }

    #[test]
    fn excluded_files_are_refused() {
        let refused = Prompt::assemble(
            vec![ChatMessage::user("x")],
            &[Path::new("/w/config/secrets.yaml")],
            &Exclude::default(),
            Some(Path::new("/w")),
        );
        assert_eq!(refused.unwrap_err().file, "config/secrets.yaml");
    }
}
