//! `glm-lsp context FILE --line L --character C`: the context the server would send for a
//! position, through the same code path as a completion request.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::config::Config;
use crate::context::{gather, language_name, path_to_uri, Context, ContextInput, Exclude, WorkspaceIndex};
use crate::document::Document;
use crate::language::Language;
use crate::text::{offset_of, Position, PositionEncoding};

/// The command line's choices.
#[derive(Debug, Clone)]
pub struct Options {
    /// The file the cursor is in (always counted as open, and the most recently edited).
    pub file: PathBuf,
    /// Zero-based line and UTF-16 column, as in LSP.
    pub line: u32,
    pub character: u32,
    pub root: PathBuf,
    /// The files an editor would have open.
    pub open: Vec<PathBuf>,
    pub json: bool,
    /// `context.budgetTokens` unless the command line says otherwise.
    pub budget_tokens: Option<usize>,
}

/// Renders the context at the options' position, with the configuration's budget and
/// exclusions (what the server would use in that workspace). With `json`, returns
/// `{"budget_tokens", "estimated_tokens", "sections": [{kind, file, start_line, end_line, symbol, text}]}`
/// where the cursor window appears as two final sections of kind `prefix` and `suffix`.
pub fn run(options: &Options, config: &Config) -> anyhow::Result<String> {
    let Options { file, line, character, root, open, json, budget_tokens } = options;
    let (line, character, json) = (*line, *character, *json);
    let budget_tokens = budget_tokens.unwrap_or(config.context.budget_tokens);
    let root = absolute(root)?;
    let file = absolute(file)?;
    let exclude = Exclude::lenient(&config.context.exclude);
    let document = load(&file)?;
    let position = Position::new(line, character);
    let offset = offset_of(&document.rope, position, PositionEncoding::Utf16)
        .with_context(|| format!("line {line} is past the end of {}", file.display()))?;

    let mut open_documents = vec![document.clone()];
    for path in open {
        let path = absolute(path)?;
        if path != file {
            open_documents.push(load(&path)?);
        }
    }
    let workspace = WorkspaceIndex::new(&exclude);
    workspace.build(std::slice::from_ref(&root));
    let context = gather(&ContextInput {
        document: &document,
        offset,
        open_documents: &open_documents,
        workspace: &workspace,
        root: Some(&root),
        budget_tokens,
        exclude: &exclude,
    });
    let shown = file.strip_prefix(&root).unwrap_or(&file).to_string_lossy().replace('\\', "/");
    if json {
        let cursor_line = document.rope.byte_to_line(offset);
        return Ok(serde_json::to_string_pretty(&to_json(&context, &shown, cursor_line))?);
    }
    Ok(crate::prompt::render_context(&context, language_name(&document), &shown))
}

fn to_json(context: &Context, file: &str, cursor_line: usize) -> serde_json::Value {
    let mut sections: Vec<serde_json::Value> = context
        .sections
        .iter()
        .map(|section| {
            serde_json::json!({
                "kind": section.kind.as_str(),
                "file": section.file,
                "start_line": section.start_line,
                "end_line": section.end_line,
                "symbol": section.symbol,
                "text": section.text,
            })
        })
        .collect();
    let suffix_lines = context.suffix.trim_end_matches('\n').matches('\n').count();
    sections.push(serde_json::json!({
        "kind": "prefix", "file": file,
        "start_line": cursor_line.saturating_sub(context.prefix.matches('\n').count()),
        "end_line": cursor_line, "symbol": null, "text": context.prefix,
    }));
    sections.push(serde_json::json!({
        "kind": "suffix", "file": file, "start_line": cursor_line,
        "end_line": cursor_line + suffix_lines, "symbol": null, "text": context.suffix,
    }));
    serde_json::json!({
        "budget_tokens": context.budget_tokens,
        "estimated_tokens": context.estimated_tokens,
        "sections": sections,
    })
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))
}

fn load(path: &Path) -> anyhow::Result<Document> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let language_id = Language::from_path(path).map_or("plaintext", Language::name);
    Ok(Document::new(path_to_uri(path), language_id.to_string(), 0, &text))
}
