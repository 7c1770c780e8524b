//! `workspace/executeCommand`: the status, the commands that start jobs, and the test hooks.

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::backend::{debug_document, invalid_params, status_line, test_hooks_enabled, Backend};

pub const STATUS_COMMAND: &str = "glm-lsp.status";
/// The status for editors that do not show a command's result (Helix's
/// `:lsp-workspace-command`): the same answer, also sent as a one-line message.
pub const SHOW_STATUS_COMMAND: &str = "glm-lsp.showStatus";

pub(super) async fn execute_command(backend: &Backend, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
    match params.command.as_str() {
        STATUS_COMMAND => Ok(Some(backend.status())),
        SHOW_STATUS_COMMAND => {
            let status = backend.status();
            backend.client.show_message(MessageType::INFO, status_line(&status)).await;
            Ok(Some(status))
        }
        super::actions::RUN_ACTION_COMMAND => super::actions::run_command(backend, &params.arguments),
        super::testgen::GENERATE_TESTS_COMMAND => super::testgen::command(backend, &params.arguments),
        super::next_edit::ACCEPTED_COMMAND => {
            super::next_edit::accepted(backend, &params.arguments);
            Ok(None)
        }
        "glm-lsp.debug.releaseIndex" if test_hooks_enabled() => {
            backend.index_hold.release();
            Ok(None)
        }
        "glm-lsp.debug.panic" if test_hooks_enabled() => {
            panic!("test hook: deliberate panic")
        }
        "glm-lsp.debug.document" if test_hooks_enabled() => {
            let uri = params.arguments.first().and_then(Value::as_str).unwrap_or_default();
            let document = backend
                .session
                .documents
                .get_parsed(uri)
                .ok_or_else(|| invalid_params(format!("document {uri} is not open")))?;
            Ok(Some(debug_document(&document)))
        }
        other => Err(invalid_params(format!("unknown command {other}"))),
    }
}
