//! Inherited members in the completion prompt (issue 21): a method or property used through
//! `self`, `this`, `super` or a typed attribute that the class does not define reaches the
//! model as its base class defines it, from files that are not open.

use std::time::Duration;

use glm_lsp_e2e::harness::{test_settings, Setup, TempProject};
use glm_lsp_e2e::lsp_client::ClientOptions;
use glm_lsp_e2e::mock_glm::Reply;
use serde_json::Value;

/// Four classes defining each of `methods`, so that the bare names alone single out nothing.
fn python_decoys(methods: &[&str]) -> String {
    let mut text = String::new();
    for class in ["Alpha", "Beta", "Gamma", "Delta"] {
        text.push_str(&format!("class {class}:\n"));
        for method in methods {
            text.push_str(&format!("    def {method}(self, *args):\n        return None\n\n"));
        }
    }
    text
}

/// The prompt the mock received for a completion at the `$0` of `main` in a project of
/// `files`, once the workspace index has read them.
async fn completion_prompt(name: &str, files: &[(&str, &str)], main: &str, language_id: &str) -> String {
    let main_text = files.iter().find(|(path, _)| *path == main).map(|(_, text)| *text).expect("main is a file");
    let on_disk: Vec<(&str, String)> = files.iter().map(|(path, text)| (*path, text.replacen("$0", "", 1))).collect();
    let on_disk: Vec<(&str, &str)> = on_disk.iter().map(|(path, text)| (*path, text.as_str())).collect();
    let project = TempProject::new(name, &on_disk);
    let mut setup = Setup::with_options(ClientOptions {
        root: Some(project.dir.clone()),
        initialization_options: test_settings(),
        ..ClientOptions::default()
    })
    .await;
    setup.mock.set_default_reply(Reply::text("pass"));
    index_settled(&mut setup).await;
    let uri = project.uri(main);
    let position = setup.open_fixture(&uri, language_id, main_text).await;
    setup.complete(&uri, &position, true).await;
    let prompt = setup.mock.requests()[0].prompt_text();
    setup.shutdown().await;
    prompt
}

async fn index_settled(setup: &mut Setup) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status = setup.status().await;
        if status["indexUpdatesPending"] == 0 && status["indexing"] == false && status["indexedFiles"] != 0 {
            return status;
        }
        assert!(std::time::Instant::now() < deadline, "the index did not settle: {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn python_members_inherited_from_bases_in_other_files_reach_the_prompt() {
    let decoys = python_decoys(&["_prepare", "transport_for", "timeout", "handle_request"]);
    let prompt = completion_prompt(
        "inherit-python",
        &[
            (
                "pkg/client.py",
                "from ._base import BaseClient as _BaseClient\nfrom ._transports import HTTPTransport\n\n\n\
                 class Client(_BaseClient):\n    def __init__(self):\n        self._transport = HTTPTransport()\n\n\
                 \x20   def send(self, request):\n        self._prepare(request, self.timeout)\n\
                 \x20       $0response = self._transport.handle_request(request)\n        return response\n",
            ),
            (
                "pkg/_base.py",
                "from . import _core\n\n\nclass BaseClient(_core.Core):\n    def _prepare(self, request, timeout):\n\
                 \x20       request.extensions = {\"timeout\": timeout}\n        return request\n",
            ),
            (
                "pkg/_core.py",
                "class Core:\n    @property\n    def timeout(self) -> float:\n        return self._timeout if self._timeout is not None else 5.0\n",
            ),
            (
                "pkg/_transports.py",
                "class BaseTransport:\n    def handle_request(self, request: \"Request\") -> \"Response\":\n\
                 \x20       raise NotImplementedError(\"The 'handle_request' method must be implemented.\")\n\n\n\
                 class HTTPTransport(BaseTransport):\n    def close(self) -> None:\n        pass\n",
            ),
            ("pkg/_other.py", &decoys),
        ],
        "pkg/client.py",
        "python",
    )
    .await;
    for line in [
        "def _prepare(self, request, timeout):",
        "@property\n    def timeout(self) -> float:",
        "def handle_request(self, request: \"Request\") -> \"Response\":",
    ] {
        assert!(prompt.contains(line), "{line:?} is not in the prompt:\n{prompt}");
    }
    assert!(!prompt.contains("class Alpha"), "{prompt}");
}

#[tokio::test]
async fn typescript_members_inherited_through_extends_reach_the_prompt() {
    let mut decoys = String::new();
    for class in ["Alpha", "Beta", "Gamma", "Delta"] {
        decoys.push_str(&format!(
            "export class {class} {{\n  escape(value: string): string {{ return '' }}\n  lookup(key: string): string {{ return '' }}\n}}\n"
        ));
    }
    let prompt = completion_prompt(
        "inherit-typescript",
        &[
            (
                "src/driver/postgres.ts",
                "import { BaseDriver } from './base'\nimport type { LruCache } from '../lru'\n\
                 export class PostgresDriver extends BaseDriver {\n  private cache: LruCache\n  connect(): string {\n\
                 \x20   const found = this.cache.lookup('k')\n    return this.escape(found)$0\n  }\n}\n",
            ),
            (
                "src/driver/base.ts",
                "import { Driver } from './driver'\nexport abstract class BaseDriver extends Driver {\n  abstract connect(): string\n}\n",
            ),
            (
                "src/driver/driver.ts",
                "export class Driver {\n  protected escape(value: string): string {\n    return value.replace(/'/g, \"''\")\n  }\n}\n",
            ),
            ("src/lru.ts", "import { Cache } from './store'\nexport class LruCache extends Cache {\n  evict(): void {}\n}\n"),
            (
                "src/store.ts",
                "export class Cache {\n  lookup(key: string): string | undefined {\n    return this.entries.get(key)?.value\n  }\n}\n",
            ),
            ("src/other.ts", &decoys),
        ],
        "src/driver/postgres.ts",
        "typescript",
    )
    .await;
    for line in ["protected escape(value: string): string {", "lookup(key: string): string | undefined {"] {
        assert!(prompt.contains(line), "{line:?} is not in the prompt:\n{prompt}");
    }
    assert!(!prompt.contains("class Alpha"), "{prompt}");
}
