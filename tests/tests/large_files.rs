//! Large files, parsed a window at a time: what a completion is shown is the same as in a
//! small file, the file's own definitions far from the cursor included.

use glm_lsp_e2e::harness::{test_settings, Setup};
use glm_lsp_e2e::mock_glm::Reply;

/// A Python file of about 350 KB: the definitions at the top, the function being written at
/// the bottom, 2,400 unrelated functions between them.
fn large_python_file() -> String {
    let mut text = String::from(
        "import decimal\n\n\nclass Money:\n    \"\"\"An amount in cents.\"\"\"\n\n    def __init__(self, cents: int):\n        self.cents = cents\n\n\ndef parse_money(text: str) -> Money:\n    \"\"\"Reads `12.34`.\"\"\"\n    return Money(int(decimal.Decimal(text) * 100))\n\n\n",
    );
    for index in 0..2400 {
        text.push_str(&format!(
            "def filler_{index}(values):\n    \"\"\"Sums the values, scaled.\"\"\"\n    total = 0\n    for value in values:\n        total += value * {index}\n    return total\n\n\n"
        ));
    }
    text.push_str("def total_of(lines: list[str]) -> Money:\n    amounts = [parse_money(line) for line in lines]\n    return $0\n");
    text
}

#[tokio::test]
async fn a_completion_at_the_end_of_a_large_file_is_shown_the_definitions_at_its_top() {
    let mut setup = Setup::new(test_settings()).await;
    setup.mock.set_default_reply(Reply::text("Money(sum(amount.cents for amount in amounts))"));
    let fixture = large_python_file();
    assert!(fixture.len() > 300 * 1024, "larger than a window: {}", fixture.len());
    let uri = "file:///project/ledger.py";
    let position = setup.open_fixture(uri, "python", &fixture).await;
    let list = setup.complete(uri, &position, true).await;
    let prompt = setup.mock.requests().last().expect("the model was asked").prompt_text();
    // Read from the chunks of the file, 350 KB before the cursor, as the author wrote them.
    assert!(prompt.contains("def parse_money(text: str) -> Money:"), "{prompt}");
    assert!(prompt.contains("class Money:"), "{prompt}");
    assert!(prompt.contains("import decimal"), "the file's imports: {prompt}");
    // And the tree at the cursor: the text before it, in the function being written.
    assert!(prompt.contains("amounts = [parse_money(line) for line in lines]"), "{prompt}");
    assert!(!prompt.contains("def filler_900("), "no unrelated function: {prompt}");
    let items = list["items"].as_array().cloned().or_else(|| list.as_array().cloned()).unwrap_or_default();
    assert!(
        items.iter().any(|item| item.to_string().contains("Money(sum(amount.cents for amount in amounts))")),
        "{list}"
    );

    // A keystroke at the top, far from the window: the next completion there sees the
    // definitions too, and the edit.
    setup.client.edit(uri, 0, 0, "# Ledger.\n").await.unwrap();
    let position = setup.client.position_after(uri, "self.cents = cents");
    setup.complete(uri, &position, true).await;
    let prompt = setup.mock.requests().last().unwrap().prompt_text();
    assert!(prompt.contains("# Ledger."), "{prompt}");
    assert!(prompt.contains("class Money:"), "{prompt}");
    setup.shutdown().await;
}
