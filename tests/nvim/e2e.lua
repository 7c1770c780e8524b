-- Drives Neovim's own LSP machinery against glm-lsp (pointed at the mock GLM server), with
-- the shipped config and plugin: a completion requested the way Neovim 0.11 requests it
-- (autotrigger on a trigger character) from a model that takes seconds, accepted from the
-- menu; "GLM: Improve this code" through the plugin's key, applied by Neovim itself via
-- workspace/applyEdit; tests generated through the plugin's key; :GlmStatus; a second, fast server keeps its trigger character. Exits 0 when every check passes, 1 otherwise (with the
-- reason on stderr).

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

local think_ms = tonumber(vim.env.GLM_TEST_THINK_MS)

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.env.GLM_TEST_FILE)
  wait('glm-lsp to attach', function()
    return #vim.lsp.get_clients({ bufnr = 0, name = 'glm_lsp' }) > 0
  end)
  local client = vim.lsp.get_clients({ bufnr = 0, name = 'glm_lsp' })[1]
  wait('initialization', function() return client.initialized end)
  local completion_requests = 0
  local request = client.request
  client.request = function(self, method, ...)
    if method == 'textDocument/completion' then
      completion_requests = completion_requests + 1
    end
    return request(self, method, ...)
  end

  -- 1. Completion: type " " (a trigger character) after "add(1," and wait, without asking
  --    again, for the item the slow model sends; accept it with <C-y>.
  local line = vim.api.nvim_buf_get_lines(0, 1, 2, false)[1]
  local column = assert(line:find('add(1,', 1, true)) + #'add(1,' - 1
  local typed_at, shown_after_ms
  _G.glm_wait_for_menu = function()
    typed_at = vim.uv.hrtime()
    vim.wait(think_ms + 15000, function() return vim.fn.pumvisible() == 1 end, 20)
    shown_after_ms = (vim.uv.hrtime() - typed_at) / 1e6
  end
  -- `a` appends after the character under the cursor: put the cursor on the comma.
  vim.api.nvim_win_set_cursor(0, { 2, column - 1 })
  vim.api.nvim_feedkeys(vim.keycode('a <Cmd>lua glm_wait_for_menu()<CR><C-y><Esc>'), 'tx', false)
  if not shown_after_ms or vim.fn.pumvisible() == 1 then
    fail('the completion menu did not behave')
  end
  io.stdout:write(('completion menu shown %.0f ms after typing\n'):format(shown_after_ms))
  if not vim.api.nvim_buf_get_lines(0, 1, 2, false)[1]:find('add(1, 2)', 1, true) then
    fail('the completion was not inserted:\n' .. buffer_text())
  end
  if shown_after_ms < think_ms then
    fail(('the menu came after %.0f ms, before the model could answer (%d ms)'):format(shown_after_ms, think_ms))
  end
  if completion_requests ~= 1 then
    fail(('Neovim asked %d times; the held request should be the only one'):format(completion_requests))
  end
  io.stdout:write('after completion:\n' .. buffer_text() .. '\n')

  -- 2. "GLM: Improve this code" through the plugin's <leader>ai, cursor inside the function.
  vim.api.nvim_win_set_cursor(0, { 2, 6 })
  local before_action = buffer_text()
  vim.api.nvim_feedkeys(vim.keycode('<leader>ai'), 'mx', false)
  wait('the improved code', function() return buffer_text() ~= before_action end, 15000)
  io.stdout:write('after code action:\n' .. buffer_text() .. '\n')
  local expected = vim.env.GLM_TEST_EXPECTED
  if buffer_text() ~= expected then
    fail('buffer is\n' .. buffer_text() .. '\nexpected\n' .. expected)
  end

  -- 3. Test generation through the plugin's <leader>at (the glm-lsp.generateTests command),
  --    cursor in `compute`: Neovim creates the test file and fills it; :wall writes it and the
  --    Rust side reads it from disk.
  local source = vim.api.nvim_get_current_buf()
  vim.api.nvim_win_set_cursor(0, { 2, 6 })
  vim.api.nvim_feedkeys(vim.keycode('<leader>at'), 'mx', false)
  local test_file = vim.env.GLM_TEST_CREATED
  wait('the generated test file', function()
    local buffer = vim.fn.bufnr(test_file)
    return buffer > 0
      and vim.api.nvim_buf_is_loaded(buffer)
      and table.concat(vim.api.nvim_buf_get_lines(buffer, 0, -1, false), '\n'):find('def test_', 1, true) ~= nil
  end, 20000)
  vim.cmd('silent wall')
  vim.api.nvim_set_current_buf(source)
  io.stdout:write('tests generated in ' .. test_file .. '\n')

  -- 4. :GlmStatus shows the session readably.
  local notes = {}
  vim.notify = function(message) table.insert(notes, message) end
  vim.cmd('GlmStatus')
  wait('the status', function() return #notes > 0 end, 5000)
  io.stdout:write('status:\n' .. notes[1] .. '\n')
  if not (notes[1]:find('model glm-4.7', 1, true) and notes[1]:find('API key: set', 1, true)) then
    fail('unexpected status:\n' .. notes[1])
  end

  -- 5. Beside a fast server that triggers on `.` (as rust-analyzer or pyright do): the plugin
  --    gives it the character, so its menu shows at once and glm-lsp is not asked there.
  local function fast_server()
    local closing = false
    return {
      request = function(method, _, callback)
        if method == 'initialize' then
          callback(nil, { capabilities = { completionProvider = { triggerCharacters = { '.' } } } })
        elseif method == 'textDocument/completion' then
          callback(nil, { isIncomplete = false, items = { { label = 'fast_member' } } })
        else
          callback(nil, vim.NIL)
        end
        return true, 1
      end,
      notify = function() return true end,
      is_closing = function() return closing end,
      terminate = function() closing = true end,
    }
  end
  local fast = vim.lsp.start({ name = 'fast', cmd = fast_server, root_dir = vim.fn.getcwd() })
  wait('the fast server', function() return vim.lsp.get_client_by_id(fast).initialized end)
  vim.lsp.completion.enable(true, fast, 0, { autotrigger = true })
  local asked_glm = completion_requests
  local fast_menu_ms
  _G.glm_wait_for_fast_menu = function()
    local started = vim.uv.hrtime()
    vim.wait(5000, function() return vim.fn.pumvisible() == 1 end, 5)
    fast_menu_ms = (vim.uv.hrtime() - started) / 1e6
  end
  vim.api.nvim_win_set_cursor(0, { 3, 0 })
  vim.api.nvim_feedkeys(vim.keycode('Ovalues.<Cmd>lua glm_wait_for_fast_menu()<CR><C-e><Esc>'), 'tx', false)
  io.stdout:write(('beside a fast server, its menu after `.` came in %.0f ms\n'):format(fast_menu_ms))
  if fast_menu_ms > 2000 then
    fail(('the fast server\'s menu waited %.0f ms'):format(fast_menu_ms))
  end
  if completion_requests ~= asked_glm then
    fail('glm-lsp was asked on a character the other server triggers on')
  end
end)

if not ok then
  fail(tostring(err))
end
vim.cmd('qall!')
