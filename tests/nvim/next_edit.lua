-- Next-edit suggestions against the real glm-lsp (pointed at the mock GLM server), with the
-- shipped config and plugin, keys typed through Neovim's main loop: renaming a parameter
-- brings the suggestion at its next use, rendered with extmarks; <Tab> jumps to it, <Tab>
-- applies it (the server hears it was shown and accepted), `u` takes it back in one step (and the suggestion comes back); a request shaped as sidekick.nvim sends it gets
-- the same edit, whose command the server advertises. Exits 0 when every check passes.

local t = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2)), 'driver.lua'))
local wait, expect, input, text = t.wait, t.expect, t.input, t.text

local ns = vim.api.nvim_create_namespace('glm_lsp.next_edit')

--- The suggestion as the extmarks show it: deleted ranges, inserted virtual text, sign rows.
local function on_screen()
  local shown = { deleted = {}, inserted = {}, signs = {} }
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })) do
    local row, col, details = mark[2], mark[3], mark[4]
    if details.hl_group == 'GlmNextEditDelete' then
      local line = vim.api.nvim_buf_get_lines(0, row, row + 1, false)[1]
      table.insert(shown.deleted, { row = row, text = line:sub(col + 1, details.end_col) })
    elseif details.virt_text then
      table.insert(shown.inserted, { row = row, col = col, text = details.virt_text[1][1] })
    elseif details.sign_text then
      table.insert(shown.signs, row)
    end
  end
  return shown
end

t.run(function()
  vim.cmd('edit ' .. vim.env.GLM_TEST_FILE)
  wait('glm-lsp to attach', function()
    local client = vim.lsp.get_clients({ bufnr = 0, name = 'glm_lsp' })[1]
    return client ~= nil and client.initialized
  end, 15000)
  local client = vim.lsp.get_clients({ bufnr = 0, name = 'glm_lsp' })[1]
  local bufnr = vim.api.nvim_get_current_buf()

  -- Rename the parameter `width` to `span`, as a user does.
  vim.api.nvim_win_set_cursor(0, { 1, 9 })
  local renamed_at = vim.uv.hrtime()
  input('ciwspan<Esc>')
  expect('after the rename', text(), 'def area(span, height):\n    return width * height')
  wait('the suggestion', function() return #on_screen().deleted > 0 end, 20000)
  io.stdout:write(('suggestion shown %.0f ms after the rename\n'):format((vim.uv.hrtime() - renamed_at) / 1e6))
  expect('the suggestion on screen', on_screen(), {
    deleted = { { row = 1, text = 'width' } },
    inserted = { { row = 1, col = 16, text = 'span' } },
    signs = { 1 },
  })

  -- <Tab> goes there, <Tab> applies it.
  input('<Tab>')
  expect('cursor after the first <Tab>', vim.api.nvim_win_get_cursor(0), { 2, 11 })
  expect('text after the first <Tab>', text(), 'def area(span, height):\n    return width * height')
  input('<Tab>')
  expect('text after the second <Tab>', text(), 'def area(span, height):\n    return span * height')
  expect('marks after applying', on_screen(), { deleted = {}, inserted = {}, signs = {} })
  io.stdout:write('applied:\n' .. text() .. '\n')
  -- The server heard that the suggestion was shown (didShowInlineEdit) and accepted (its
  -- command, run on accept); :GlmStatus says so.
  local notes = {}
  local notify = vim.notify
  vim.notify = function(message) table.insert(notes, message) end
  wait('the accept command', function()
    notes = {}
    vim.cmd('GlmStatus')
    wait('the status', function() return #notes > 0 end)
    local shown = tonumber(notes[1]:match('next edits: (%d+) shown, 1 accepted'))
    return shown ~= nil and shown >= 1
  end)
  vim.notify = notify
  io.stdout:write('status:\n' .. notes[1] .. '\n')

  -- One undo step takes it back.
  input('u')
  expect('after one undo', text(), 'def area(span, height):\n    return width * height')
  wait('the suggestion again', function() return #on_screen().deleted > 0 end, 20000)

  -- The request as sidekick.nvim shapes it (its `context` included) gets the same edit, for
  -- this version, with a command the server lists (sidekick and copilot-lsp run it on accept).
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.textDocument.version = vim.lsp.util.buf_versions[bufnr]
  params.context = { triggerKind = 2 }
  local response = client:request_sync('textDocument/copilotInlineEdit', params, 20000, bufnr)
  if not response or response.err then
    t.fail('the sidekick-shaped request failed: ' .. vim.inspect(response))
  end
  local edit = response.result.edits[1]
  expect('the edit', { edit.text, edit.range, edit.textDocument }, {
    'span',
    { start = { line = 1, character = 11 }, ['end'] = { line = 1, character = 16 } },
    { uri = vim.uri_from_bufnr(bufnr), version = vim.lsp.util.buf_versions[bufnr] },
  })
  local commands = vim.tbl_get(client.server_capabilities, 'executeCommandProvider', 'commands') or {}
  if not (edit.command and vim.list_contains(commands, edit.command.command)) then
    t.fail('the edit command is not one the server lists: ' .. vim.inspect({ edit.command, commands }))
  end
  io.stdout:write('next edit: all checks passed\n')
end)
