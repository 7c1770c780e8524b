-- Drives a test script through Neovim's main loop, as a user's keys are: the script runs in a
-- coroutine, `input` sends keys with nvim_input (so TextChanged and the other autocommands
-- fire as they do for typed keys), and `wait` lets the loop run until a condition holds.
-- Usage: `local t = dofile(<this file>); t.run(function() ... end)`; exits 0 when the body
-- finishes, 1 (the reason on stderr) when a check fails.
local M = {}

local co

function M.fail(message)
  io.stderr:write('FAIL: ' .. message .. '\n' .. debug.traceback(co) .. '\n')
  vim.cmd('cquit 1')
end

function M.sleep(ms)
  vim.defer_fn(function()
    local ok, err = coroutine.resume(co)
    if not ok then
      M.fail(tostring(err))
    end
  end, ms)
  coroutine.yield()
end

function M.wait(what, predicate, ms)
  local deadline = vim.uv.hrtime() + (ms or 5000) * 1e6
  while not predicate() do
    if vim.uv.hrtime() > deadline then
      M.fail('timed out waiting for ' .. what)
    end
    M.sleep(10)
  end
end

local inputs = 0
--- Types `keys` (in <> notation) and waits until Neovim has taken all of them.
function M.input(keys)
  inputs = inputs + 1
  local mark = inputs
  _G.glm_test_input_done = nil
  vim.api.nvim_input(keys .. ('<Cmd>lua _G.glm_test_input_done = %d<CR>'):format(mark))
  M.wait('the keys ' .. keys, function() return _G.glm_test_input_done == mark end)
end

function M.expect(what, actual, expected)
  if not vim.deep_equal(actual, expected) then
    M.fail(('%s: got %s, expected %s'):format(what, vim.inspect(actual), vim.inspect(expected)))
  end
end

function M.text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr or 0, 0, -1, false), '\n')
end

function M.run(body)
  co = coroutine.create(function()
    body()
    vim.cmd('qall!')
  end)
  local ok, err = coroutine.resume(co)
  if not ok then
    M.fail(tostring(err))
  end
end

return M
