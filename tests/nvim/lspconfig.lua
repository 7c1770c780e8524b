-- The config in the form nvim-lspconfig takes upstream (lsp/glm_lsp.lua): Neovim starts
-- `glm-lsp` from PATH for a Python file, roots it at the `.git` above it, and `on_attach`
-- gives that buffer (and only buffers glm-lsp serves) `:LspGlmStatus`, which runs the
-- server's status command through `client:exec_cmd`; the server shows its status line.
-- Exits 0 when every check passes, 1 otherwise (with the reason on stderr).

local function fail(message)
  io.stderr:write('FAIL: ' .. message .. '\n')
  vim.cmd('cquit 1')
end

local function wait(what, predicate, ms)
  if not vim.wait(ms or 10000, predicate, 20) then
    fail('timed out waiting for ' .. what)
  end
end

local ok, err = pcall(function()
  -- What the server shows (Neovim writes it out with its own handler).
  local messages = {}
  local show_message = vim.lsp.handlers['window/showMessage']
  vim.lsp.handlers['window/showMessage'] = function(err, params, ctx, ...)
    table.insert(messages, params.message)
    return show_message(err, params, ctx, ...)
  end

  vim.cmd('edit ' .. vim.env.GLM_TEST_FILE)
  local python = vim.api.nvim_get_current_buf()
  wait('glm-lsp to attach', function()
    return #vim.lsp.get_clients({ bufnr = python, name = 'glm_lsp' }) > 0
  end)
  local client = vim.lsp.get_clients({ bufnr = python, name = 'glm_lsp' })[1]
  wait('initialization', function() return client.initialized end)
  if client.root_dir ~= vim.env.GLM_TEST_ROOT then
    fail(('root %s, expected %s'):format(tostring(client.root_dir), vim.env.GLM_TEST_ROOT))
  end
  if client.config.cmd[1] ~= 'glm-lsp' then
    fail('cmd is ' .. vim.inspect(client.config.cmd))
  end
  wait(':LspGlmStatus in the buffer', function()
    return vim.api.nvim_buf_get_commands(python, {}).LspGlmStatus ~= nil
  end)
  if vim.api.nvim_get_commands({}).LspGlmStatus then
    fail(':LspGlmStatus is global; nvim-lspconfig wants it buffer-local')
  end

  vim.cmd('LspGlmStatus')
  wait('the status message', function()
    for _, message in ipairs(messages) do
      if message:find('glm-lsp ', 1, true) and message:find('key set', 1, true) then
        return true
      end
    end
    return false
  end)
  io.stdout:write('status: ' .. messages[#messages] .. '\n')

  -- A buffer glm-lsp does not serve gets no command.
  vim.cmd('edit ' .. vim.env.GLM_TEST_OTHER)
  if #vim.lsp.get_clients({ bufnr = 0, name = 'glm_lsp' }) > 0 then
    fail('glm-lsp attached to a filetype it does not list')
  end
  if vim.api.nvim_buf_get_commands(0, {}).LspGlmStatus then
    fail(':LspGlmStatus in a buffer glm-lsp does not serve')
  end
end)
if not ok then
  fail(tostring(err))
end
vim.cmd('qall!')
