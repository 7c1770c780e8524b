"""glm-lsp against a third-party LSP client library (pytest-lsp), with the capabilities that
real editors declare (recorded by pytest-lsp: Emacs, Neovim, VS Code) and a minimal client.

pytest-lsp checks each result against the declared capabilities (completion documentation
formats, snippets, work-done progress, `workspace/configuration`); its warnings fail the test
(pytest.ini). The test adds what the library does not check: code actions are commands for a
client without `codeActionLiteralSupport`, and documentation is a plain string for a client
that lists no format.

It starts the built binaries: `target/debug/glm-lsp` (or `GLM_LSP_BIN`) and the mock GLM
server `target/debug/mock-glm` (or `MOCK_GLM_BIN`); `cargo build --workspace` makes both.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import sys

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVER = os.environ.get("GLM_LSP_BIN", str(ROOT / "target" / "debug" / "glm-lsp"))
MOCK = os.environ.get("MOCK_GLM_BIN", str(ROOT / "target" / "debug" / "mock-glm"))

SOURCE = "def add(a, b):\n    return \n"
ANSWER = "a + b"

# A client that declares almost nothing: no documentation format, no code action literals,
# no `documentChanges`, no progress. (pytest-lsp runs its checks only for declared capabilities.)
MINIMAL = types.ClientCapabilities(
    text_document=types.TextDocumentClientCapabilities(
        synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
        completion=types.CompletionClientCapabilities(
            completion_item=types.ClientCompletionItemOptions(snippet_support=False)
        ),
        code_action=types.CodeActionClientCapabilities(),
    ),
    workspace=types.WorkspaceClientCapabilities(apply_edit=True),
)

EDITORS = ["emacs@v29.1", "neovim@v0.6.1", "neovim@v0.11.0", "visual-studio-code@v1.65.2", "minimal"]


@pytest.fixture
async def mock_glm(tmp_path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"default": {"kind": "stream", "content": ANSWER}}))
    mock = await asyncio.create_subprocess_exec(
        MOCK, "--script", str(script), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    base_url = (await asyncio.wait_for(mock.stdout.readline(), 30)).decode().strip()
    assert base_url.startswith("http://127.0.0.1:"), base_url
    yield base_url
    mock.stdin.close()
    try:
        await asyncio.wait_for(mock.wait(), 10)
    except asyncio.TimeoutError:
        mock.kill()


@pytest.fixture
async def server(mock_glm, tmp_path):
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "GLM_API_KEY": "test-key",
        "GLM_BASE_URL": mock_glm,
        "GLM_LSP_LOG": "warn",
    }
    client = await ClientServerConfig(server_command=[SERVER], server_env=environment).start()

    # The editors that declare dynamic registration accept glm-lsp's file watcher; pytest-lsp's
    # client has no handler of its own for it.
    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        return None

    yield client
    # A failed test leaves the session open: end it (pytest-lsp's `stop` waits for the exit).
    process = client._server
    if process is not None and process.returncode is None:
        try:
            await asyncio.wait_for(client.shutdown_session(), 10)
        except Exception:  # noqa: BLE001 - whatever went wrong, the process must go
            pass
        if process.returncode is None:
            try:
                await asyncio.wait_for(process.wait(), 5)
            except asyncio.TimeoutError:
                process.kill()
    await client.stop()


def capabilities_of(editor: str) -> types.ClientCapabilities:
    return MINIMAL if editor == "minimal" else client_capabilities(editor)


@pytest.mark.parametrize("editor", EDITORS)
async def test_results_respect_the_editors_declared_capabilities(server, editor, tmp_path):
    capabilities = capabilities_of(editor)
    project = tmp_path / "project"
    project.mkdir()
    source = project / "calc.py"
    source.write_text(SOURCE)
    uri = source.as_uri()
    result = await server.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=project.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name="project")],
            initialization_options={"completion": {"debounceMs": 0}},
        )
    )
    assert result.server_info.name == "glm-lsp"
    server.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=SOURCE)
        )
    )

    completion = await server.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=1, character=11),
            context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
        )
    )
    items = completion.items if isinstance(completion, types.CompletionList) else completion
    assert items, f"{editor}: no completion"
    item = items[0]
    assert item.text_edit.new_text == ANSWER
    formats = (
        capabilities.text_document.completion.completion_item.documentation_format
        if capabilities.text_document.completion.completion_item
        else None
    )
    if not formats:
        assert isinstance(item.documentation, str), f"{editor}: {item.documentation!r}"
    assert item.insert_text_format in (None, types.InsertTextFormat.PlainText)

    actions = await server.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=4), end=types.Position(line=0, character=4)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert actions, f"{editor}: no code actions"
    literals = capabilities.text_document.code_action.code_action_literal_support is not None
    for action in actions:
        # lsprotocol reads any object with a `command` property as a `Command` (a literal's
        # `command` is then its Command object, stringified): a bare command is one whose
        # `command` is our command's name.
        bare_command = isinstance(action, types.Command) and action.command == "glm-lsp.runAction"
        if literals:
            assert not bare_command, f"{editor}: {action!r}"
            assert action.title.startswith("GLM: ")
        else:
            assert bare_command, f"{editor}: {action!r}"

    await server.shutdown_session()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
