-- glm-lsp for Neovim: what happens when the `glm_lsp` client attaches to a buffer.
--
-- Completion (set `vim.g.glm_lsp_completion = false` to wire it yourself, e.g. for
-- nvim-cmp or blink.cmp, which read the server's completion items on their own; on 0.12 also
-- set the server's `completion.style = 'list'`, since an editor with ghost text gets no items
-- by default):
--   Neovim 0.12+  ghost text through textDocument/inlineCompletion; <Tab> accepts it
--                 (only when <Tab> has no insert-mode mapping of yours).
--   Neovim 0.11   completion items, requested as you type trigger characters
--                 (vim.lsp.completion autotrigger; only those no other server of the
--                 buffer uses, since the menu waits for every server it asked); <C-y>
--                 accepts, <C-x><C-o> asks every server.
--
-- Next-edit suggestions (`vim.g.glm_lsp_next_edit = false` turns them off): after a change,
-- the edit glm-lsp predicts next is shown in place (deleted text highlighted, new text as
-- virtual text, a » sign); <Tab> in normal or insert mode jumps to it, <Tab> again applies it
-- (one undo step). Typing clears it. Without a suggestion <Tab> does what it did before.
--
-- Commands:
--   :GlmStatus         the session's model, requests, tokens and cost
--   :GlmGenerateTests  unit tests for the function or type at the cursor
--   :GlmNextEdit       ask for a next-edit suggestion now
--
-- Buffer-local keys, each only where you have not mapped it (`vim.g.glm_lsp_keymaps = false`
-- skips them all):
--   <leader>aa  GLM code actions (normal and visual mode)
--   <leader>ai  GLM: Improve this code
--   <leader>ad  GLM: Add documentation
--   <leader>at  GLM: Generate tests for the function or type at the cursor
--   <leader>as  :GlmStatus

if vim.g.loaded_glm_lsp or vim.fn.has('nvim-0.11') == 0 then
  return
end
vim.g.loaded_glm_lsp = true

local CLIENT_NAME = 'glm_lsp'

---@param bufnr integer?
---@return vim.lsp.Client?
local function glm_client(bufnr)
  local client = vim.lsp.get_clients({ bufnr = bufnr or 0, name = CLIENT_NAME })[1]
  if not client then
    vim.notify('glm-lsp is not attached to this buffer (:checkhealth vim.lsp)', vim.log.levels.WARN)
  end
  return client
end

--- The server's `glm-lsp.status` answer as a few readable lines.
---@param status table
---@return string
local function describe_status(status)
  local usage = status.usage or {}
  local lines = {
    ('glm-lsp %s · model %s · %s'):format(status.version or '?', status.model or '?', status.baseUrl or '?'),
    ('API key: %s'):format(status.apiKeySet and 'set' or 'NOT SET (export GLM_API_KEY=... before starting Neovim)'),
    ('open documents %d · indexed files %d · completion requests %d'):format(
      status.openDocuments or 0,
      status.indexedFiles or 0,
      status.completionRequests or 0
    ),
    ('model requests %d · tokens: %d prompt (%d cached), %d completion · $%.4f'):format(
      usage.requests or 0,
      usage.promptTokens or 0,
      usage.cachedTokens or 0,
      usage.completionTokens or 0,
      usage.usd or 0
    ),
  }
  local next_edit = status.nextEdit or {}
  table.insert(lines, ('next edits: %d shown, %d accepted (%d model requests)'):format(
    next_edit.shown or 0,
    next_edit.accepted or 0,
    next_edit.requests or 0
  ))
  if (usage.unpricedRequests or 0) > 0 then
    table.insert(lines, ('%d request(s) of a model without a known price'):format(usage.unpricedRequests))
  end
  return table.concat(lines, '\n')
end

local function show_status()
  local client = glm_client()
  if not client then
    return
  end
  client:request('workspace/executeCommand', { command = 'glm-lsp.status' }, function(err, result)
    if err then
      vim.notify('glm-lsp status: ' .. err.message, vim.log.levels.ERROR)
    else
      vim.notify(describe_status(result or {}), vim.log.levels.INFO)
    end
  end, 0)
end

--- Starts test generation for the function or type at the cursor (the server command of
--- the "GLM: Generate tests for `name`" code action); progress and the edit follow.
local function generate_tests()
  local client = glm_client()
  if not client then
    return
  end
  local position = vim.lsp.util.make_position_params(0, client.offset_encoding).position
  client:exec_cmd({
    title = 'GLM: Generate tests',
    command = 'glm-lsp.generateTests',
    arguments = { { textDocument = { uri = vim.uri_from_bufnr(0) }, position = position } },
  }, { bufnr = 0 })
end

--- Runs the GLM code action whose title starts with `prefix` (or lists all GLM actions).
---@param prefix string
---@param apply boolean apply at once when exactly one matches
local function code_action(prefix, apply)
  return function()
    vim.lsp.buf.code_action({
      apply = apply,
      filter = function(action)
        return vim.startswith(action.title, prefix)
      end,
    })
  end
end

vim.api.nvim_create_user_command('GlmStatus', show_status, { desc = 'glm-lsp: show the session status' })
vim.api.nvim_create_user_command('GlmGenerateTests', generate_tests, {
  desc = 'glm-lsp: generate unit tests for the function or type at the cursor',
})
vim.api.nvim_create_user_command('GlmNextEdit', function()
  require('glm_lsp.next_edit').request({ explicit = true })
end, { desc = 'glm-lsp: suggest the next edit' })

---@param bufnr integer
local function map_keys(bufnr)
  local keys = {
    { { 'n', 'x' }, '<leader>aa', code_action('GLM:', false), 'GLM code actions' },
    { { 'n', 'x' }, '<leader>ai', code_action('GLM: Improve this code', true), 'GLM: Improve this code' },
    { 'n', '<leader>ad', code_action('GLM: Add documentation', true), 'GLM: Add documentation' },
    { 'n', '<leader>at', generate_tests, 'GLM: Generate tests' },
    { 'n', '<leader>as', show_status, 'GLM: status' },
  }
  for _, key in ipairs(keys) do
    local modes, lhs, rhs, desc = key[1], key[2], key[3], key[4]
    for _, mode in ipairs(type(modes) == 'table' and modes or { modes }) do
      if vim.fn.maparg(lhs, mode) == '' then
        vim.keymap.set(mode, lhs, rhs, { buffer = bufnr, desc = desc })
      end
    end
  end
end

--- Neovim 0.11's menu waits for every server a trigger character asks, and glm-lsp answers
--- when the model has (seconds): so in each buffer glm-lsp triggers only on characters no
--- other server there triggers on, and `.` still lists rust-analyzer's (or pyright's…)
--- members at once. <C-x><C-o> asks every server, glm-lsp included.
---@param client vim.lsp.Client glm-lsp
---@param bufnr integer
local function enable_menu_completion(client, bufnr)
  local provider = client.server_capabilities.completionProvider
  if not provider then
    return
  end
  local own = provider.triggerCharacters or {}
  local taken = {}
  for _, other in ipairs(vim.lsp.get_clients({ bufnr = bufnr, method = 'textDocument/completion' })) do
    if other.id ~= client.id then
      for _, char in ipairs(vim.tbl_get(other.server_capabilities, 'completionProvider', 'triggerCharacters') or {}) do
        taken[char] = true
      end
    end
  end
  -- vim.lsp.completion reads the trigger characters when it is enabled: lend it this
  -- buffer's set for that moment only (the client is shared by every buffer).
  provider.triggerCharacters = vim.tbl_filter(function(char) return not taken[char] end, own)
  vim.lsp.completion.enable(false, client.id, bufnr)
  local enabled, problem = pcall(vim.lsp.completion.enable, true, client.id, bufnr, { autotrigger = true })
  provider.triggerCharacters = own
  if not enabled then
    error(problem)
  end
end

---@param client vim.lsp.Client
---@param bufnr integer
local function enable_completion(client, bufnr)
  local inline = vim.lsp.inline_completion
  if inline and client:supports_method('textDocument/inlineCompletion', bufnr) then
    inline.enable(true, { bufnr = bufnr })
    if vim.fn.maparg('<Tab>', 'i') == '' then
      vim.keymap.set('i', '<Tab>', function()
        if not inline.get() then
          return '<Tab>'
        end
      end, { buffer = bufnr, expr = true, desc = 'GLM: accept the suggestion' })
    end
    return
  end
  -- A lone item must not insert itself: show it in the menu even when it is the only one
  -- ('completeopt' is global-local, so only this buffer changes).
  local completeopt = vim.bo[bufnr].completeopt ~= '' and vim.bo[bufnr].completeopt or vim.o.completeopt
  if not vim.list_contains(vim.split(completeopt, ','), 'menuone') then
    vim.bo[bufnr].completeopt = completeopt .. ',menuone,noinsert'
  end
  enable_menu_completion(client, bufnr)
end

vim.api.nvim_create_autocmd('LspAttach', {
  group = vim.api.nvim_create_augroup('glm_lsp', { clear = true }),
  desc = 'glm-lsp: completion, next edits and keys',
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if not client then
      return
    end
    if client.name ~= CLIENT_NAME then
      -- Another server joined a buffer glm-lsp serves with menu items: give it its characters.
      local glm = vim.lsp.get_clients({ bufnr = args.buf, name = CLIENT_NAME })[1]
      if glm and vim.g.glm_lsp_completion ~= false and not vim.lsp.inline_completion then
        enable_menu_completion(glm, args.buf)
      end
      return
    end
    if vim.g.glm_lsp_completion ~= false then
      enable_completion(client, args.buf)
    end
    if vim.g.glm_lsp_keymaps ~= false then
      map_keys(args.buf)
    end
    -- After completion, so that its <Tab> is what <Tab> falls back to.
    if vim.g.glm_lsp_next_edit ~= false then
      require('glm_lsp.next_edit').attach(client, args.buf)
    end
  end,
})
