-- "GLM: Generate tests" in a real Neovim: picked through vim.lsp.buf.code_action, applied
-- by Neovim itself (CreateFile + the new file's text via workspace/applyEdit), then saved
-- with :wall. The Rust side checks the file on disk.
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
  vim.cmd('edit ' .. vim.env.GLM_TEST_FILE)
  wait('glm-lsp to attach', function()
    return #vim.lsp.get_clients({ bufnr = 0, name = 'glm_lsp' }) > 0
  end)
  local client = vim.lsp.get_clients({ bufnr = 0, name = 'glm_lsp' })[1]
  wait('initialization', function() return client.initialized end)

  -- The cursor inside `add` (line 2, on `return`).
  vim.api.nvim_win_set_cursor(0, { 2, 6 })
  local title = vim.env.GLM_TEST_ACTION
  vim.lsp.buf.code_action({
    filter = function(action) return action.title == title end,
    apply = true,
  })
  local test_file = vim.env.GLM_TEST_CREATED
  wait('the test file buffer', function()
    local buffer = vim.fn.bufnr(test_file)
    return buffer > 0
      and vim.api.nvim_buf_is_loaded(buffer)
      and table.concat(vim.api.nvim_buf_get_lines(buffer, 0, -1, false), '\n'):find('def test_', 1, true) ~= nil
  end, 20000)
  vim.cmd('silent wall')
  io.stdout:write('created ' .. test_file .. '\n')
end)

if not ok then
  fail(tostring(err))
end
vim.cmd('qall!')
