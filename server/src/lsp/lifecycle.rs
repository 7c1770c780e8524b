//! The session's setup once the client is ready (`initialized`), and again when its
//! settings change (`workspace/didChangeConfiguration`).

use tower_lsp_server::ls_types::*;

use super::backend::Backend;

pub(super) async fn initialized(backend: &Backend) {
    backend.forward_notices();
    backend.build_index();
    backend.watch_files();
    if backend.support().configuration {
        backend.pull_configuration();
    }
    let errors = std::mem::take(&mut *backend.pending_config_errors.lock().unwrap());
    backend.report_config_errors(errors).await;
    let config = backend.session.config();
    if config.api_key.is_none() {
        let variables = config.provider.key_variables().join(" or ");
        backend
            .client
            .show_message(
                MessageType::WARNING,
                format!(
                    "glm-lsp: no API key for provider {}. Set {variables} in the environment or `apiKey` in the \
                     glm-lsp settings.",
                    config.provider.id()
                ),
            )
            .await;
    }
}

pub(super) async fn did_change_configuration(backend: &Backend, params: DidChangeConfigurationParams) {
    // Pull-model clients (VS Code's) send an empty notification and expect the server to
    // ask for the section.
    let pushed = params.settings.as_object().is_some_and(|settings| !settings.is_empty());
    if !pushed && backend.support().configuration {
        backend.pull_configuration();
        return;
    }
    let (_, errors) = backend.session.update_sources(|sources| sources.client_settings = params.settings);
    backend.report_config_errors(errors).await;
}
