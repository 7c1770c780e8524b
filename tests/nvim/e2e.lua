-- Drives Neovim's own LSP machinery against glm-lsp (pointed at the mock GLM server):
-- completion accepted through the completion menu, then "GLM: Improve this code" picked
-- through vim.lsp.buf.code_action and applied by Neovim via workspace/applyEdit.
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

local function buffer_text()
  return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.env.GLM_TEST_FILE)
  wait('glm-lsp to attach', function()
    return #vim.lsp.get_clients({ bufnr = 0, name = 'glm_lsp' }) > 0
  end)
  local client = vim.lsp.get_clients({ bufnr = 0, name = 'glm_lsp' })[1]
  wait('initialization', function() return client.initialized end)

  -- 1. Completion: cursor after "add(1, " on line 2, accept the first item with <C-y>.
  local line = vim.api.nvim_buf_get_lines(0, 1, 2, false)[1]
  local column = assert(line:find('add(1, ', 1, true)) + #'add(1, ' - 1
  vim.api.nvim_win_set_cursor(0, { 2, column })
  local keys = vim.keycode(
    'a<Cmd>lua vim.lsp.completion.get()<CR>'
      .. '<Cmd>lua vim.wait(10000, function() return vim.fn.pumvisible() == 1 end, 20)<CR>'
      .. '<C-y><Esc>'
  )
  -- `a` appends after the character under the cursor: put the cursor one before.
  vim.api.nvim_win_set_cursor(0, { 2, column - 1 })
  vim.api.nvim_feedkeys(keys, 'x', false)
  wait('the completion to be inserted', function()
    return vim.api.nvim_buf_get_lines(0, 1, 2, false)[1]:find('add(1, 2)', 1, true) ~= nil
  end, 5000)
  local after_completion = buffer_text()
  io.stdout:write('after completion:\n' .. after_completion .. '\n')

  -- 2. Code action through the command and workspace/applyEdit.
  vim.api.nvim_win_set_cursor(0, { 2, 6 })
  local before_action = buffer_text()
  vim.lsp.buf.code_action({
    filter = function(action) return action.title == 'GLM: Improve this code' end,
    apply = true,
  })
  wait('the improved code', function() return buffer_text() ~= before_action end, 10000)
  io.stdout:write('after code action:\n' .. buffer_text() .. '\n')
  local expected = vim.env.GLM_TEST_EXPECTED
  if buffer_text() ~= expected then
    fail('buffer is\n' .. buffer_text() .. '\nexpected\n' .. expected)
  end
end)

if not ok then
  fail(tostring(err))
end
vim.cmd('qall!')
