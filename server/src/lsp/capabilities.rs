//! What the client declared at `initialize`, reduced to the decisions the server makes from
//! it: the one place that reads `ClientCapabilities`. `to_proto` builds every result from
//! these answers, so no handler can send a client what it did not declare (markdown to a
//! plain-text client, a snippet, a `CreateFile` or `documentChanges` it cannot apply).

use serde_json::Value;
use tower_lsp_server::ls_types::{ClientCapabilities, MarkupKind, ResourceOperationKind};

/// LSP 3.18's `CodeActionTag.LLMGenerated`.
pub const CODE_ACTION_TAG_LLM_GENERATED: u64 = 1;

/// How documentation reaches the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DocumentationFormat {
    /// `MarkupContent` of kind markdown.
    Markdown,
    /// `MarkupContent` of kind plaintext.
    PlainText,
    /// A bare string: the only form a client that lists no format must read.
    #[default]
    String,
}

#[derive(Debug, Clone, Default)]
pub struct ClientSupport {
    pub work_done_progress: bool,
    pub apply_edit: bool,
    pub document_changes: bool,
    /// `workspace.workspaceEdit.resourceOperations` includes `create`.
    pub create_files: bool,
    pub change_annotations: bool,
    /// Code actions as `CodeAction` literals; without it, only `Command`s.
    pub code_action_literals: bool,
    pub code_action_resolve: bool,
    /// `completionItem.documentationFormat`, the client's first choice it shares with us.
    pub completion_documentation: DocumentationFormat,
    /// `completionItem.snippetSupport`. glm-lsp sends plain text to every client; this is
    /// here so that a snippet, if one is ever sent, has its switch.
    pub completion_snippets: bool,
    pub inline_completion: bool,
    pub configuration: bool,
    pub watched_files_registration: bool,
}

impl ClientSupport {
    pub fn from_capabilities(capabilities: &ClientCapabilities) -> ClientSupport {
        let workspace = capabilities.workspace.as_ref();
        let text_document = capabilities.text_document.as_ref();
        let edit = workspace.and_then(|w| w.workspace_edit.as_ref());
        let code_action = text_document.and_then(|t| t.code_action.as_ref());
        let completion_item =
            text_document.and_then(|t| t.completion.as_ref()).and_then(|c| c.completion_item.as_ref());
        ClientSupport {
            work_done_progress: capabilities.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false),
            apply_edit: workspace.and_then(|w| w.apply_edit).unwrap_or(false),
            document_changes: edit.and_then(|e| e.document_changes).unwrap_or(false),
            create_files: edit
                .and_then(|e| e.resource_operations.as_ref())
                .is_some_and(|operations| operations.contains(&ResourceOperationKind::Create)),
            change_annotations: edit.and_then(|e| e.change_annotation_support.as_ref()).is_some(),
            code_action_literals: code_action.is_some_and(|c| c.code_action_literal_support.is_some()),
            code_action_resolve: code_action
                .and_then(|c| c.resolve_support.as_ref())
                .is_some_and(|r| r.properties.iter().any(|p| p == "edit")),
            completion_documentation: documentation_format(
                completion_item.and_then(|item| item.documentation_format.as_deref()).unwrap_or_default(),
            ),
            completion_snippets: completion_item.and_then(|item| item.snippet_support).unwrap_or(false),
            inline_completion: text_document.and_then(|t| t.inline_completion.as_ref()).is_some(),
            configuration: workspace.and_then(|w| w.configuration).unwrap_or(false),
            watched_files_registration: workspace
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|w| w.dynamic_registration)
                .unwrap_or(false),
        }
    }

    /// Whether actions are computed in `codeAction/resolve` (their edit) rather than by the
    /// `glm-lsp.runAction` command (progress, then `workspace/applyEdit`): when the user
    /// prefers it, or when the client cannot apply an edit the server sends, and only for a
    /// client that resolves code action literals.
    pub fn resolves_actions(&self, user_prefers_resolve: bool) -> bool {
        self.code_action_literals && self.code_action_resolve && (user_prefers_resolve || !self.apply_edit)
    }
}

/// Whether `textDocument.codeAction.tagSupport.valueSet` lists `LLMGenerated`. Read from the
/// `initialize` params' JSON (by `code_action_tags`), since ls-types has no LSP 3.18 fields.
pub fn declares_llm_generated_tag(capabilities: &Value) -> bool {
    capabilities
        .pointer("/textDocument/codeAction/tagSupport/valueSet")
        .and_then(Value::as_array)
        .is_some_and(|tags| tags.iter().any(|tag| tag.as_u64() == Some(CODE_ACTION_TAG_LLM_GENERATED)))
}

/// The client's order of preference decides; a format it does not list is never sent.
fn documentation_format(formats: &[MarkupKind]) -> DocumentationFormat {
    match formats.first() {
        Some(MarkupKind::Markdown) => DocumentationFormat::Markdown,
        Some(MarkupKind::PlainText) => DocumentationFormat::PlainText,
        None => DocumentationFormat::String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn support(capabilities: serde_json::Value) -> ClientSupport {
        ClientSupport::from_capabilities(&serde_json::from_value(capabilities).unwrap())
    }

    #[test]
    fn documentation_follows_the_declared_formats() {
        let format = |formats: serde_json::Value| {
            support(serde_json::json!({ "textDocument": { "completion": { "completionItem": { "documentationFormat": formats } } } }))
                .completion_documentation
        };
        assert_eq!(format(serde_json::json!(["markdown", "plaintext"])), DocumentationFormat::Markdown);
        assert_eq!(format(serde_json::json!(["plaintext", "markdown"])), DocumentationFormat::PlainText);
        assert_eq!(format(serde_json::json!([])), DocumentationFormat::String);
        assert_eq!(support(serde_json::json!({})).completion_documentation, DocumentationFormat::String);
    }

    #[test]
    fn the_llm_generated_tag_only_when_its_value_is_declared() {
        let declares = |code_action: Value| {
            declares_llm_generated_tag(&serde_json::json!({ "textDocument": { "codeAction": code_action } }))
        };
        assert!(declares(serde_json::json!({ "tagSupport": { "valueSet": [1] } })));
        assert!(declares(serde_json::json!({ "tagSupport": { "valueSet": [2, 1] } })));
        assert!(!declares(serde_json::json!({ "tagSupport": { "valueSet": [] } })));
        assert!(!declares(serde_json::json!({ "tagSupport": { "valueSet": [2] } })));
        assert!(!declares(serde_json::json!({ "tagSupport": { "valueSet": ["1"] } })));
        assert!(!declares(serde_json::json!({ "tagSupport": true })));
        assert!(!declares(serde_json::json!({})));
        assert!(!declares_llm_generated_tag(&serde_json::json!({})));
    }

    #[test]
    fn actions_resolve_only_for_clients_that_resolve_literals() {
        let literal = serde_json::json!({ "codeActionKind": { "valueSet": ["quickfix"] } });
        let client = |literals: bool, resolve: bool, apply_edit: bool| {
            let mut code_action = serde_json::json!({});
            if literals {
                code_action["codeActionLiteralSupport"] = literal.clone();
            }
            if resolve {
                code_action["resolveSupport"] = serde_json::json!({ "properties": ["edit"] });
            }
            support(
                serde_json::json!({ "workspace": { "applyEdit": apply_edit }, "textDocument": { "codeAction": code_action } }),
            )
        };
        assert!(client(true, true, true).resolves_actions(true));
        assert!(!client(true, true, true).resolves_actions(false));
        assert!(client(true, true, false).resolves_actions(false), "no applyEdit: resolve is the only way");
        assert!(!client(false, true, false).resolves_actions(true), "commands only");
        assert!(!client(true, false, false).resolves_actions(true));
    }
}
