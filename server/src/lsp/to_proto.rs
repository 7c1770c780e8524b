//! The server's own types in, protocol types out.

use std::collections::HashMap;

use ropey::Rope;
use tower_lsp_server::ls_types as lsp;

use serde_json::Value;

use super::capabilities::{ClientSupport, DocumentationFormat, CODE_ACTION_TAG_LLM_GENERATED};
use crate::text::{position_of, Edit, Position, PositionEncoding};

pub fn position(position: Position) -> lsp::Position {
    lsp::Position::new(position.line, position.character)
}

pub fn range(rope: &Rope, bytes: std::ops::Range<usize>, encoding: PositionEncoding) -> lsp::Range {
    lsp::Range::new(
        position(position_of(rope, bytes.start, encoding)),
        position(position_of(rope, bytes.end, encoding)),
    )
}

pub fn text_edit(rope: &Rope, edit: &Edit, encoding: PositionEncoding) -> lsp::TextEdit {
    lsp::TextEdit::new(range(rope, edit.range.clone(), encoding), edit.new_text.clone())
}

pub fn position_encoding(encoding: PositionEncoding) -> lsp::PositionEncodingKind {
    match encoding {
        PositionEncoding::Utf8 => lsp::PositionEncodingKind::UTF8,
        PositionEncoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        PositionEncoding::Utf32 => lsp::PositionEncodingKind::UTF32,
    }
}

/// A suggestion's code as completion documentation, in the form the client reads: a fenced
/// Markdown block, or the code itself as plain text.
pub fn code_documentation(support: &ClientSupport, language: &str, code: &str) -> lsp::Documentation {
    match support.completion_documentation {
        DocumentationFormat::Markdown => lsp::Documentation::MarkupContent(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: fenced(language, code),
        }),
        DocumentationFormat::PlainText => lsp::Documentation::MarkupContent(lsp::MarkupContent {
            kind: lsp::MarkupKind::PlainText,
            value: code.to_string(),
        }),
        DocumentationFormat::String => lsp::Documentation::String(code.to_string()),
    }
}

/// The code as a Markdown code block, fenced with more backticks than it contains.
fn fenced(language: &str, code: &str) -> String {
    let longest_run = code.split(|ch| ch != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    format!("{fence}{language}\n{code}\n{fence}")
}

/// A code action as the client takes it: a `CodeAction` literal, or only its command for a
/// client without `codeActionLiteralSupport`.
pub fn code_action_or_command(support: &ClientSupport, action: lsp::CodeAction) -> lsp::CodeActionOrCommand {
    match (support.code_action_literals, action.command.clone()) {
        (false, Some(command)) => lsp::CodeActionOrCommand::Command(command),
        _ => lsp::CodeActionOrCommand::CodeAction(action),
    }
}

/// Adds `tags: [LLMGenerated]` (LSP 3.18) to the code action literals of a
/// `textDocument/codeAction` result (an array, or `null`) or a `codeAction/resolve` result (one
/// action), as JSON because ls-types' `CodeAction` has no `tags`. A `Command` (its `command` is
/// the command's name, a string) takes no tags and is left as it is.
pub fn tag_llm_generated(result: &mut Value) {
    let tag = |action: &mut Value| {
        if let Some(action) =
            action.as_object_mut().filter(|action| !action.get("command").is_some_and(Value::is_string))
        {
            action.insert("tags".into(), Value::from(vec![CODE_ACTION_TAG_LLM_GENERATED]));
        }
    };
    match result {
        Value::Array(actions) => actions.iter_mut().for_each(tag),
        action => tag(action),
    }
}

/// One file's change, in the server's terms.
pub struct FileEdit<'a> {
    pub uri: &'a str,
    /// The version the edits apply to; `None` for a file the editor does not have open (the
    /// edits apply to its content on disk).
    pub version: Option<i32>,
    /// The text the edits' byte ranges refer to.
    pub rope: &'a Rope,
    pub edits: &'a [Edit],
    /// The file does not exist: it is created, holding the edits' text.
    pub create: bool,
}

/// Who suggested an edit, for the change annotation of clients that show them.
pub struct EditAnnotation {
    pub needs_confirmation: bool,
    pub model: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("cannot name {0} as a URI")]
    BadUri(String),
    /// The file must be created and the client does not let servers create files.
    #[error("the editor does not let language servers create files")]
    CannotCreateFiles,
}

const ANNOTATION_ID: &str = "glm-edit";

/// The one `WorkspaceEdit` builder. Versioned `documentChanges` (so an editor never applies
/// an edit to text that changed meanwhile) when the client declared them, else `changes`;
/// a new file as `CreateFile` plus its text, only for a client whose `resourceOperations`
/// has `create` (they live in `documentChanges`, which such a client takes even when it does
/// not advertise them: Neovim); change annotations when declared.
pub fn workspace_edit(
    support: &ClientSupport,
    encoding: PositionEncoding,
    annotation: &EditAnnotation,
    file: FileEdit,
) -> Result<lsp::WorkspaceEdit, EditError> {
    if file.create && !support.create_files {
        return Err(EditError::CannotCreateFiles);
    }
    let uri: lsp::Uri = file.uri.parse().map_err(|_| EditError::BadUri(file.uri.to_string()))?;
    let mut text_edits: Vec<lsp::TextEdit> =
        file.edits.iter().map(|edit| text_edit(file.rope, edit, encoding)).collect();
    if file.create {
        // The new file's text replaces "everything up to the line after the end" (the
        // usual way to say the end of a document): Neovim and Helix read that as the end,
        // and Neovim then drops the empty last line of the new buffer instead of keeping
        // it as an extra blank line; VS Code clamps it to the end.
        let whole = lsp::Range::new(lsp::Position::new(0, 0), lsp::Position::new(1, 0));
        for edit in &mut text_edits {
            edit.range = whole;
        }
    }
    if !support.document_changes && !file.create {
        return Ok(lsp::WorkspaceEdit { changes: Some(HashMap::from([(uri, text_edits)])), ..Default::default() });
    }
    let annotate = support.change_annotations;
    let edits = text_edits
        .into_iter()
        .map(|text_edit| match annotate {
            true => lsp::OneOf::Right(lsp::AnnotatedTextEdit { text_edit, annotation_id: ANNOTATION_ID.to_string() }),
            false => lsp::OneOf::Left(text_edit),
        })
        .collect();
    let text_document_edit = lsp::TextDocumentEdit {
        text_document: lsp::OptionalVersionedTextDocumentIdentifier { uri: uri.clone(), version: file.version },
        edits,
    };
    let document_changes = match file.create {
        true => lsp::DocumentChanges::Operations(vec![
            lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Create(lsp::CreateFile {
                uri,
                options: Some(lsp::CreateFileOptions { overwrite: Some(false), ignore_if_exists: Some(false) }),
                annotation_id: annotate.then(|| ANNOTATION_ID.to_string()),
            })),
            lsp::DocumentChangeOperation::Edit(text_document_edit),
        ]),
        false => lsp::DocumentChanges::Edits(vec![text_document_edit]),
    };
    Ok(lsp::WorkspaceEdit {
        document_changes: Some(document_changes),
        change_annotations: annotate.then(|| {
            HashMap::from([(
                ANNOTATION_ID.to_string(),
                lsp::ChangeAnnotation {
                    label: "GLM edit".into(),
                    needs_confirmation: Some(annotation.needs_confirmation),
                    description: Some(format!("Suggested by {}", annotation.model)),
                },
            )])
        }),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn support(document_changes: bool, create_files: bool, change_annotations: bool) -> ClientSupport {
        ClientSupport { document_changes, create_files, change_annotations, ..ClientSupport::default() }
    }

    fn edit(support: &ClientSupport, version: Option<i32>, create: bool) -> Result<serde_json::Value, EditError> {
        let rope = Rope::from_str("a\nb\n");
        let edits = [Edit { range: 2..3, new_text: "c".into() }];
        let annotation = EditAnnotation { needs_confirmation: true, model: "glm-4.7".into() };
        let file = FileEdit { uri: "file:///p/a.py", version, rope: &rope, edits: &edits, create };
        workspace_edit(support, PositionEncoding::Utf16, &annotation, file)
            .map(|edit| serde_json::to_value(edit).unwrap())
    }

    #[test]
    fn the_edit_takes_the_form_the_client_declared() {
        let plain = edit(&support(false, false, true), Some(3), false).unwrap();
        assert_eq!(plain["changes"]["file:///p/a.py"][0]["newText"], "c", "{plain}");
        assert!(plain.get("documentChanges").is_none() && plain.get("changeAnnotations").is_none(), "{plain}");

        let versioned = edit(&support(true, false, false), Some(3), false).unwrap();
        let document_edit = &versioned["documentChanges"][0];
        assert_eq!(document_edit["textDocument"]["version"], 3, "{versioned}");
        assert!(document_edit["edits"][0].get("annotationId").is_none(), "{versioned}");
        assert!(versioned.get("changes").is_none(), "{versioned}");

        let annotated = edit(&support(true, false, true), None, false).unwrap();
        assert_eq!(annotated["documentChanges"][0]["textDocument"]["version"], serde_json::Value::Null);
        assert_eq!(annotated["documentChanges"][0]["edits"][0]["annotationId"], "glm-edit");
        assert_eq!(annotated["changeAnnotations"]["glm-edit"]["needsConfirmation"], true);
    }

    #[test]
    fn a_new_file_is_created_only_for_clients_that_allow_it() {
        assert_eq!(edit(&support(true, false, false), None, true), Err(EditError::CannotCreateFiles));
        // `create` without `documentChanges` (Neovim): the operation still goes there.
        let created = edit(&support(false, true, false), None, true).unwrap();
        assert_eq!(created["documentChanges"][0]["kind"], "create", "{created}");
        assert_eq!(created["documentChanges"][0]["options"]["overwrite"], false);
        let whole = &created["documentChanges"][1]["edits"][0]["range"];
        assert_eq!((whole["start"]["line"].as_u64(), whole["end"]["line"].as_u64()), (Some(0), Some(1)));
    }

    #[test]
    fn llm_generated_tags_go_on_action_literals_only() {
        let mut listed = serde_json::json!([
            { "title": "GLM: Improve this code", "kind": "refactor.rewrite", "data": {} },
            { "title": "GLM: Add documentation", "command": { "title": "run", "command": "glm-lsp.runAction" } },
            { "title": "run", "command": "glm-lsp.runAction", "arguments": [] },
        ]);
        tag_llm_generated(&mut listed);
        assert_eq!(listed[0]["tags"], serde_json::json!([1]));
        assert_eq!(listed[1]["tags"], serde_json::json!([1]));
        assert!(listed[2].get("tags").is_none(), "a Command has no tags: {listed}");

        let mut resolved = serde_json::json!({ "title": "GLM: Improve this code", "edit": {} });
        tag_llm_generated(&mut resolved);
        assert_eq!(resolved["tags"], serde_json::json!([1]));
        let mut none = serde_json::Value::Null;
        tag_llm_generated(&mut none);
        assert!(none.is_null());
    }
}
