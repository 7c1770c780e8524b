//! The completion prompt, ordered for the provider's prefix cache: what changes least
//! comes first (instructions, workspace definitions, open files' definitions, the current
//! file), the cursor window last. Nothing in it depends on time or on iteration order, so
//! two requests with the same context send byte-identical prompts.

use crate::context::{Context, Section, SectionKind, CURSOR_MARKER};

/// One chat message; the model client maps it onto the wire format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: &str, content: impl Into<String>) -> ChatMessage {
        ChatMessage { role: role.to_string(), content: content.into() }
    }
}

/// The instructions for inline completion. Stable text: it is the start of every prompt.
pub const COMPLETION_INSTRUCTIONS: &str = "\
You are a code completion engine inside a code editor. You are shown definitions from the \
user's workspace and the code around the cursor, which is marked <|CURSOR|>.
Reply with ONLY the code to insert at the cursor:
- no Markdown code fences, no explanation, no comments about what you did;
- do not repeat any text that is before the cursor or after it; the text after the cursor \
stays where it is, so do not write its closing brackets or lines again;
- match the surrounding indentation and style; use only names that are defined in the \
context or in the language's standard library;
- complete the current statement or block sensibly and stop; if nothing useful fits, reply \
with nothing.";

/// The messages of a completion request for `context` in `file` (a display path).
pub fn completion_messages(context: &Context, language_name: &str, file: &str) -> Vec<ChatMessage> {
    vec![
        ChatMessage::new("system", COMPLETION_INSTRUCTIONS),
        ChatMessage::new("user", render_context(context, language_name, file)),
    ]
}

/// The user message: the context sections in cache order, then the cursor window. This is
/// what `glm-lsp context` prints.
pub fn render_context(context: &Context, language_name: &str, file: &str) -> String {
    let mut sections: Vec<&Section> = context.sections.iter().collect();
    // `gather` already sorts; sort again so the prompt's stability does not depend on it.
    sections
        .sort_by(|a, b| (a.kind, &a.file, a.start_line, &a.symbol).cmp(&(b.kind, &b.file, b.start_line, &b.symbol)));
    let mut prompt = String::new();
    let mut current_heading = None;
    for section in sections {
        let heading = match section.kind {
            SectionKind::Workspace => "Definitions from other files in the workspace:",
            SectionKind::OpenFile => "Definitions from files open in the editor:",
            SectionKind::Imports | SectionKind::CurrentFile | SectionKind::Enclosing => "From the current file:",
        };
        if current_heading != Some(heading) {
            if current_heading.is_some() {
                prompt.push('\n');
            }
            prompt.push_str(heading);
            prompt.push('\n');
            current_heading = Some(heading);
        }
        prompt.push_str(&section.render());
    }
    if !prompt.is_empty() {
        prompt.push('\n');
    }
    prompt.push_str(&format!("Complete the {language_name} code at {CURSOR_MARKER} in `{file}`:\n"));
    prompt.push_str(&context.prefix);
    prompt.push_str(CURSOR_MARKER);
    prompt.push_str(&context.suffix);
    prompt
}

/// The length of the common prefix of two prompts, in bytes of their concatenated messages:
/// what the provider's prefix cache can reuse from one request to the next.
pub fn shared_prefix_len(first: &[ChatMessage], second: &[ChatMessage]) -> usize {
    let flatten = |messages: &[ChatMessage]| {
        messages
            .iter()
            .flat_map(|message| [message.role.as_bytes(), message.content.as_bytes()])
            .flatten()
            .copied()
            .collect::<Vec<u8>>()
    };
    let (first, second) = (flatten(first), flatten(second));
    first.iter().zip(&second).take_while(|(a, b)| a == b).count()
}
