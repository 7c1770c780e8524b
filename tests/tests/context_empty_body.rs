//! Code not yet written, end to end: the built server, the cursor at the start of an empty
//! method far below the file's imports, and the prompt the model receives. It must carry
//! the definitions the empty body will most likely use, each as written: a name imported
//! for this body alone, a parameter type with its methods, and an imported function that a
//! sibling method far below the cursor calls.

use std::time::Duration;

use glm_lsp_e2e::harness::{test_settings, Setup, TempProject};
use glm_lsp_e2e::lsp_client::ClientOptions;
use glm_lsp_e2e::mock_glm::Reply;

#[tokio::test]
async fn the_prompt_for_an_empty_body_carries_what_is_above_the_cursor() {
    let far = "# (a long stretch of unrelated code)\n".repeat(170);
    let far_indented = "    # (a long stretch of unrelated code)\n".repeat(170);
    let service = format!(
        "from billing.log import audit, report
from billing.money import Invoice, round_cents

{far}
class Billing:
    def settle(self, invoice: Invoice) -> int:
        $0

{far_indented}
    def summary(self, first):
        report(first.total())
"
    );
    let project = TempProject::new(
        "empty-body",
        &[
            ("billing/log.py", "def report(value: int) -> None:\n    print(value)\n\n\ndef audit(value: int) -> None:\n    print(\"audit\", value)\n"),
            (
                "billing/money.py",
                "class Invoice:\n    def total(self) -> int:\n        return sum(self.lines)\n\n    def discount(self, percent: int) -> int:\n        return self.total() * percent // 100\n\n\ndef round_cents(amount: float) -> int:\n    return int(round(amount * 100))\n",
            ),
        ],
    );
    let mut setup = Setup::with_options(ClientOptions {
        root: Some(project.dir.clone()),
        initialization_options: test_settings(),
        ..ClientOptions::default()
    })
    .await;
    setup.mock.set_default_reply(Reply::text("return 0"));
    setup.wait_idle(Duration::from_millis(300)).await;

    let uri = project.uri("billing/service.py");
    project.write("billing/service.py", &service.replace("$0", ""));
    let position = setup.open_fixture(&uri, "python", &service).await;
    setup.complete(&uri, &position, true).await;
    let prompt = setup.mock.requests()[0].prompt_text();
    // Imported and used nowhere else in the file: the body being written is where they go.
    assert!(prompt.contains("def round_cents(amount: float) -> int:\n    return int(round(amount * 100))"), "{prompt}");
    assert!(prompt.contains("def audit(value: int) -> None:\n    print(\"audit\", value)"), "{prompt}");
    // The parameter's type, its methods' signatures as written.
    assert!(
        prompt.contains(
            "class Invoice:\n    def total(self) -> int: ...\n\n    def discount(self, percent: int) -> int: ..."
        ),
        "{prompt}"
    );
    // Imported and called by a sibling method 170 lines below the cursor.
    assert!(prompt.contains("def report(value: int) -> None:\n    print(value)"), "{prompt}");
    setup.shutdown().await;
}
