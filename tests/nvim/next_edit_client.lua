-- The plugin's side of next-edit suggestions, against a scripted in-process server named
-- glm_lsp (so every answer, stale ones included, is exactly what the test says): the request
-- carries the buffer's version and the cursor; the answer is rendered with extmarks; <Tab>
-- jumps, <Tab> applies (one undo step) and runs the edit's command; an answer for an older
-- version is never shown; typing clears a suggestion; without one, <Tab> keeps the mapping it
-- had. Exits 0 when every check passes, 1 otherwise (the reason on stderr).

local t = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2)), 'driver.lua'))
local wait, expect, input, text = t.wait, t.expect, t.input, t.text

local ns = vim.api.nvim_create_namespace('glm_lsp.next_edit')
local function marks()
  return vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })
end

-- The user's own insert-mode <Tab>, which must keep working when there is no suggestion.
vim.keymap.set('i', '<Tab>', '<C-v><Tab>-user-tab', { desc = 'the user mapping' })

local requests, notifications, commands = {}, {}, {}
local answer -- function(params) -> result
local function scripted_server()
  local closing = false
  return {
    request = function(method, params, callback)
      if method == 'initialize' then
        callback(nil, { capabilities = { textDocumentSync = 2, executeCommandProvider = { commands = { 'glm-lsp.nextEditAccepted' } } } })
      elseif method == 'textDocument/copilotInlineEdit' then
        table.insert(requests, params)
        local result = answer and answer(params) or { edits = {} }
        vim.schedule(function() callback(nil, result) end)
      elseif method == 'workspace/executeCommand' then
        table.insert(commands, params)
        callback(nil, vim.NIL)
      else
        callback(nil, vim.NIL)
      end
      return true, #requests + 1000
    end,
    notify = function(method, params)
      if method == 'textDocument/didShowInlineEdit' then
        table.insert(notifications, params)
      end
      return true
    end,
    is_closing = function() return closing end,
    terminate = function() closing = true end,
  }
end

t.run(function()
  vim.cmd('enew')
  vim.bo.buftype = 'nofile'
  vim.api.nvim_buf_set_lines(0, 0, -1, false, {
    'def area(width, height):',
    '    return width * height',
  })
  local bufnr = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start({ name = 'glm_lsp', cmd = scripted_server, root_dir = vim.fn.getcwd() })
  wait('the scripted server', function() return vim.lsp.get_client_by_id(client_id).initialized end)
  local uri = vim.uri_from_bufnr(bufnr)

  -- The rename of the parameter: `width` becomes `w`; the server predicts the use on line 2.
  local command = { title = 'accepted', command = 'glm-lsp.nextEditAccepted', arguments = { 'suggestion-1' } }
  answer = function(params)
    return { edits = { {
      text = 'w',
      range = { start = { line = 1, character = 11 }, ['end'] = { line = 1, character = 16 } },
      textDocument = { uri = uri, version = params.textDocument.version },
      command = command,
    } } }
  end
  vim.api.nvim_win_set_cursor(0, { 1, 9 })
  input('ciww<Esc>')
  expect('after the rename', text(), 'def area(w, height):\n    return width * height')
  wait('the request after the change', function() return #requests >= 1 end)
  wait('the suggestion', function() return #marks() > 0 end)
  local request = requests[#requests]
  expect('request document', request.textDocument, { uri = uri, version = vim.lsp.util.buf_versions[bufnr] })
  expect('request position (the cursor)', request.position, { line = 0, character = 9 })

  local deleted, inserted, sign
  for _, mark in ipairs(marks()) do
    local details = mark[4]
    if details.hl_group == 'GlmNextEditDelete' then
      deleted = { mark[2], mark[3], details.end_row, details.end_col }
    elseif details.virt_text then
      inserted = { mark[2], mark[3], details.virt_text[1][1], details.virt_text_pos }
    elseif details.sign_text then
      sign = mark[2]
    end
  end
  expect('the deleted text', deleted, { 1, 11, 1, 16 })
  expect('the inserted text', inserted, { 1, 16, 'w', 'inline' })
  expect('the sign line', sign, 1)
  expect('didShowInlineEdit', notifications, { { item = { command = command } } })
  io.stdout:write('rendered: ' .. vim.inspect({ deleted = deleted, inserted = inserted, sign = sign }) .. '\n')

  -- <Tab> (normal mode) goes to the edit, <Tab> again applies it and runs its command.
  answer = nil
  input('<Tab>')
  expect('cursor after the first <Tab>', vim.api.nvim_win_get_cursor(0), { 2, 11 })
  expect('text after the first <Tab>', text(), 'def area(w, height):\n    return width * height')
  input('<Tab>')
  expect('text after the second <Tab>', text(), 'def area(w, height):\n    return w * height')
  expect('cursor after applying', vim.api.nvim_win_get_cursor(0), { 2, 12 })
  expect('marks after applying', #marks(), 0)
  wait('the command', function() return #commands == 1 end)
  expect('the command run on accept', commands[1], { command = command.command, arguments = command.arguments })
  vim.cmd('undo')
  expect('one undo step', text(), 'def area(w, height):\n    return width * height')
  vim.cmd('redo')

  -- An answer computed for an older version is never shown.
  local before = #requests
  answer = function(params)
    return { edits = { {
      text = 'h',
      range = { start = { line = 1, character = 15 }, ['end'] = { line = 1, character = 21 } },
      textDocument = { uri = uri, version = params.textDocument.version - 1 },
    } } }
  end
  vim.api.nvim_win_set_cursor(0, { 1, 12 })
  input('cwh<Esc>')
  wait('the request', function() return #requests > before end)
  t.sleep(200)
  expect('marks of a stale answer', #marks(), 0)

  -- A suggestion is cleared as soon as the user types.
  answer = function(params)
    return { edits = { {
      text = 'h',
      range = { start = { line = 1, character = 15 }, ['end'] = { line = 1, character = 21 } },
      textDocument = { uri = uri, version = params.textDocument.version },
    } } }
  end
  vim.cmd('GlmNextEdit')
  wait('the suggestion', function() return #marks() > 0 end)
  answer = nil
  input('A # area<Esc>')
  expect('marks after typing', #marks(), 0)
  t.sleep(200)
  expect('marks after typing (and the answer to it)', #marks(), 0)

  -- Without a suggestion, insert-mode <Tab> is the user's mapping.
  input('o<Tab><Esc>')
  expect('the user <Tab>', vim.api.nvim_buf_get_lines(0, 1, 2, false)[1], '\t-user-tab')
  vim.cmd('undo')

  -- With one, insert-mode <Tab> jumps and applies too.
  answer = function(params)
    return { edits = { {
      text = 'h',
      range = { start = { line = 1, character = 15 }, ['end'] = { line = 1, character = 21 } },
      textDocument = { uri = uri, version = params.textDocument.version },
    } } }
  end
  vim.cmd('GlmNextEdit')
  wait('the suggestion', function() return #marks() > 0 end)
  answer = nil
  _G.glm_tab_twice_text = nil
  input('A<Tab><Tab><Cmd>lua glm_tab_twice_text = vim.fn.mode()<CR><Esc>')
  expect('mode while applying', _G.glm_tab_twice_text, 'i')
  expect('text after insert-mode <Tab><Tab>', text(), 'def area(w, h): # area\n    return w * h')
  io.stdout:write('next edit client: all checks passed\n')
end)
