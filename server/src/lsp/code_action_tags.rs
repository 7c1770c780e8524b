//! LSP 3.18's `CodeActionTag.LLMGenerated` on every code action literal, for the clients that
//! declare it (`textDocument.codeAction.tagSupport.valueSet`), and on none otherwise.
//!
//! ls-types (tower-lsp-server 0.23) predates 3.18: its `CodeActionClientCapabilities` drops
//! `tagSupport` and its `CodeAction` has no `tags`. So this layer sits between the JSON-RPC
//! server and the `LspService`, where messages are still JSON: it reads the capability from
//! the `initialize` request's own params and adds `tags` to the results of
//! `textDocument/codeAction` and `codeAction/resolve`. Every action glm-lsp offers has the
//! model write its edit, so every literal carries the tag (a bare `Command` has no `tags`).

use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::FutureExt;
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_service::Service;

use super::{capabilities, to_proto};

/// Wraps the `LspService`, tagging code actions once the client has declared the tag.
pub struct CodeActionTags<S> {
    inner: S,
    /// Whether the `initialize` request that succeeded declared the tag (one that fails, or a
    /// second one, which tower-lsp refuses, decides nothing).
    declared: Arc<OnceLock<bool>>,
}

impl<S> CodeActionTags<S> {
    pub fn new(inner: S) -> Self {
        CodeActionTags { inner, declared: Arc::default() }
    }
}

impl<S> Service<Request> for CodeActionTags<S>
where
    S: Service<Request, Response = Option<Response>>,
    S::Future: Send + 'static,
{
    type Response = Option<Response>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Option<Response>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match request.method() {
            "initialize" => {
                let declares = request
                    .params()
                    .and_then(|params| params.get("capabilities"))
                    .is_some_and(capabilities::declares_llm_generated_tag);
                let declared = self.declared.clone();
                self.inner
                    .call(request)
                    .map(move |response| {
                        if let Ok(Some(response)) = &response {
                            if response.is_ok() {
                                let _ = declared.set(declares);
                            }
                        }
                        response
                    })
                    .boxed()
            }
            "textDocument/codeAction" | "codeAction/resolve" if self.declared.get() == Some(&true) => {
                self.inner.call(request).map(|response| response.map(|response| response.map(tagged))).boxed()
            }
            _ => self.inner.call(request).boxed(),
        }
    }
}

fn tagged(response: Response) -> Response {
    let (id, result) = response.into_parts();
    Response::from_parts(
        id,
        result.map(|mut result| {
            to_proto::tag_llm_generated(&mut result);
            result
        }),
    )
}
