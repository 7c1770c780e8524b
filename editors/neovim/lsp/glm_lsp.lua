---@brief
---
--- https://github.com/glm-lsp/glm-lsp
---
--- glm-lsp: an AI coding assistant as a language server. It asks GLM-4.7 (thinking enabled)
--- for completions, code actions ("GLM: Improve this code", "GLM: Add documentation",
--- "GLM: Fix: …") and unit tests, and returns every change as a minimal edit.
---
--- Install the server so that `glm-lsp` is on your PATH (`:MasonInstall glm-lsp`, or
--- `cargo install glm-lsp`), and give it your key through the environment Neovim starts it
--- in: `export GLM_API_KEY=...` in your shell profile (or `ZHIPUAI_API_KEY`, `ZAI_API_KEY`).
--- `glm-lsp doctor` checks the key and the endpoint.
---
--- Then add this folder (`editors/neovim`) to your 'runtimepath' (or point your plugin
--- manager at it) and enable the config:
---
--- ```lua
--- vim.lsp.enable('glm_lsp')
--- ```
---
--- The folder's `plugin/glm_lsp.lua` turns on completion for glm-lsp (ghost text on Neovim
--- 0.12, completion items on 0.11) and next-edit suggestions (<Tab> jumps to one, <Tab>
--- applies it), adds `:GlmStatus`, `:GlmGenerateTests` and `:GlmNextEdit`, and maps
--- `<leader>a…` keys (see its header; `vim.g.glm_lsp_keymaps = false` to skip them).
---
--- Settings are the server's `glm-lsp` section (camelCase keys, see the README), for example
--- `vim.lsp.config('glm_lsp', { settings = { ['glm-lsp'] = { completion = { maxWaitMs = 1500 } } } })`.

---@type vim.lsp.Config
return {
  cmd = { 'glm-lsp' },
  filetypes = {
    'c',
    'cpp',
    'go',
    'java',
    'javascript',
    'javascriptreact',
    'python',
    'rust',
    'typescript',
    'typescriptreact',
  },
  root_markers = { 'glm-lsp.toml', '.git' },
  -- Answered when the server asks for its section (workspace/configuration) and sent again
  -- on :lua vim.lsp.config changes. Empty: the server's defaults and your
  -- ~/.config/glm-lsp/config.toml apply.
  settings = {
    ['glm-lsp'] = {},
  },
  -- Read once when the server starts, before it asks for `settings`; the same keys.
  init_options = {},
  on_attach = function(client, bufnr)
    -- The server shows the status line itself (window/showMessage): model, requests, tokens, cost.
    vim.api.nvim_buf_create_user_command(bufnr, 'LspGlmStatus', function()
      client:exec_cmd({ title = 'Status', command = 'glm-lsp.showStatus' }, { bufnr = bufnr })
    end, {
      desc = 'glm-lsp: show the model, the requests, the tokens and the cost of this session',
    })
  end,
}
