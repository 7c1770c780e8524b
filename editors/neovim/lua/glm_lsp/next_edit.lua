--- glm-lsp next-edit suggestions: after each change, asks the server what the next edit is
--- (`textDocument/copilotInlineEdit`, the request of Copilot's language server that
--- copilot-lsp and sidekick.nvim speak too), renders it with extmarks (deleted text
--- highlighted, inserted text as virtual text and lines, a sign on its first line), and lets
--- <Tab> jump to it and apply it. A suggestion lives only as long as the buffer's version it
--- was computed for: typing clears it, and a stale one is never applied.

local M = {}

local METHOD = 'textDocument/copilotInlineEdit'
local DID_SHOW = 'textDocument/didShowInlineEdit'
local METHOD_NOT_FOUND = -32601
--- Takes one keystroke's changes (an auto-closed pair, a `cw`) as one before asking.
local REQUEST_DELAY_MS = 50

local ns = vim.api.nvim_create_namespace('glm_lsp.next_edit')

---@class glm_lsp.InlineEdit
---@field text string
---@field range lsp.Range
---@field textDocument { uri: string, version: integer }
---@field command? lsp.Command

---@class glm_lsp.Suggestion
---@field client_id integer
---@field edits glm_lsp.InlineEdit[] sorted, all of `version`
---@field version integer
---@field jumped_to? [integer, integer] where <Tab> put the cursor

---@type table<integer, glm_lsp.Suggestion>
local shown = {}
---@type table<integer, { client_id: integer, request_id: integer }>
local pending = {}
---@type table<integer, uv.uv_timer_t>
local timers = {}
---@type table<integer, boolean> clients that do not know the request
local unsupported = {}

local function set_highlights()
  vim.api.nvim_set_hl(0, 'GlmNextEditDelete', { link = 'DiffDelete', default = true })
  vim.api.nvim_set_hl(0, 'GlmNextEditAdd', { link = 'DiffAdd', default = true })
  vim.api.nvim_set_hl(0, 'GlmNextEditSign', { link = 'DiagnosticSignHint', default = true })
end
set_highlights()
vim.api.nvim_create_autocmd('ColorScheme', {
  group = vim.api.nvim_create_augroup('glm_lsp_next_edit_colors', { clear = true }),
  callback = set_highlights,
})

---@param a lsp.Position
---@param b lsp.Position
local function compare(a, b)
  if a.line ~= b.line then
    return a.line < b.line and -1 or 1
  end
  return a.character < b.character and -1 or (a.character > b.character and 1 or 0)
end

--- The (0-based) row and byte column of an LSP position in the buffer, clamped to the text.
---@return integer row, integer col
local function byte_position(bufnr, position, encoding)
  local count = vim.api.nvim_buf_line_count(bufnr)
  if position.line >= count then
    local last = vim.api.nvim_buf_get_lines(bufnr, count - 1, count, false)[1] or ''
    return count - 1, #last
  end
  local line = vim.api.nvim_buf_get_lines(bufnr, position.line, position.line + 1, false)[1] or ''
  return position.line, math.min(vim.str_byteindex(line, encoding, position.character, false), #line)
end

--- The answer's edits for the buffer at `version`, sorted; none when any edit is for another
--- version or two overlap (not one consistent change of this text).
---@param result { edits?: glm_lsp.InlineEdit[] }?
---@return glm_lsp.InlineEdit[]
function M.applicable(result, uri, version)
  local edits = {}
  for _, edit in ipairs(result and result.edits or {}) do
    if edit.textDocument.uri == uri then
      if edit.textDocument.version ~= version then
        return {}
      end
      if edit.text ~= '' or compare(edit.range.start, edit.range['end']) ~= 0 then
        table.insert(edits, edit)
      end
    end
  end
  table.sort(edits, function(a, b) return compare(a.range.start, b.range.start) < 0 end)
  for i = 2, #edits do
    if compare(edits[i - 1].range['end'], edits[i].range.start) > 0 then
      return {}
    end
  end
  return edits
end

---@param bufnr integer
local function cancel(bufnr)
  if timers[bufnr] then
    timers[bufnr]:stop()
  end
  local request = pending[bufnr]
  pending[bufnr] = nil
  local client = request and vim.lsp.get_client_by_id(request.client_id)
  if client then
    client:cancel_request(request.request_id)
  end
end

--- Removes the suggestion of the buffer (and drops any answer on its way).
---@param bufnr integer?
function M.dismiss(bufnr)
  bufnr = bufnr and bufnr ~= 0 and bufnr or vim.api.nvim_get_current_buf()
  cancel(bufnr)
  shown[bufnr] = nil
  if vim.api.nvim_buf_is_valid(bufnr) then
    vim.api.nvim_buf_clear_namespace(bufnr, ns, 0, -1)
  end
end

--- The buffer's suggestion while it applies to the buffer's current version.
---@param bufnr integer?
---@return glm_lsp.Suggestion?
function M.current(bufnr)
  bufnr = bufnr and bufnr ~= 0 and bufnr or vim.api.nvim_get_current_buf()
  local suggestion = shown[bufnr]
  if suggestion and suggestion.version ~= vim.lsp.util.buf_versions[bufnr] then
    M.dismiss(bufnr)
    return nil
  end
  return suggestion
end

---@param bufnr integer
---@param suggestion glm_lsp.Suggestion
---@param encoding string
local function render(bufnr, suggestion, encoding)
  vim.api.nvim_buf_clear_namespace(bufnr, ns, 0, -1)
  for index, edit in ipairs(suggestion.edits) do
    local start_row, start_col = byte_position(bufnr, edit.range.start, encoding)
    local end_row, end_col = byte_position(bufnr, edit.range['end'], encoding)
    if index == 1 then
      vim.api.nvim_buf_set_extmark(bufnr, ns, start_row, 0, {
        sign_text = '»',
        sign_hl_group = 'GlmNextEditSign',
      })
    end
    if start_row ~= end_row or start_col ~= end_col then
      vim.api.nvim_buf_set_extmark(bufnr, ns, start_row, start_col, {
        end_row = end_row,
        end_col = end_col,
        hl_group = 'GlmNextEditDelete',
        strict = false,
      })
    end
    local lines = vim.split(edit.text, '\n', { plain = true })
    local whole_lines = edit.text:sub(-1) == '\n' and edit.range.start.character == 0 and edit.range['end'].character == 0
    if whole_lines then
      -- Lines inserted before a line: shown above it (below the last one at the end).
      table.remove(lines)
      local above = edit.range['end'].line < vim.api.nvim_buf_line_count(bufnr)
      vim.api.nvim_buf_set_extmark(bufnr, ns, end_row, 0, {
        virt_lines = vim.tbl_map(function(line) return { { line, 'GlmNextEditAdd' } } end, lines),
        virt_lines_above = above,
      })
    elseif edit.text ~= '' then
      if lines[1] ~= '' then
        vim.api.nvim_buf_set_extmark(bufnr, ns, end_row, end_col, {
          virt_text = { { lines[1], 'GlmNextEditAdd' } },
          virt_text_pos = 'inline',
        })
      end
      if #lines > 1 then
        vim.api.nvim_buf_set_extmark(bufnr, ns, end_row, 0, {
          virt_lines = vim.tbl_map(function(line) return { { line, 'GlmNextEditAdd' } } end, vim.list_slice(lines, 2)),
        })
      end
    end
  end
end

---@param client vim.lsp.Client
---@param bufnr integer
local function inline_completion_enabled(client, bufnr)
  local inline = vim.lsp.inline_completion
  return inline ~= nil
    and client:supports_method('textDocument/inlineCompletion', bufnr)
    and inline.is_enabled({ bufnr = bufnr })
end

--- Asks glm-lsp for the next edit at the cursor and shows it.
---@param opts? { bufnr?: integer, explicit?: boolean } `explicit`: say when there is none
function M.request(opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local client = vim.lsp.get_clients({ bufnr = bufnr, name = 'glm_lsp' })[1]
  if not client or unsupported[client.id] or vim.api.nvim_get_current_buf() ~= bufnr then
    if opts.explicit then
      vim.notify(
        client and 'this glm-lsp does not offer next edits (an older version?)'
          or 'glm-lsp is not attached to this buffer (:checkhealth vim.lsp)',
        vim.log.levels.WARN
      )
    end
    return
  end
  M.dismiss(bufnr)
  local encoding = client.offset_encoding
  local params = vim.lsp.util.make_position_params(0, encoding)
  local version = vim.lsp.util.buf_versions[bufnr]
  ---@diagnostic disable-next-line: inject-field
  params.textDocument.version = version
  local uri = params.textDocument.uri
  local sent, request_id
  sent, request_id = client:request(METHOD, params, function(err, result)
    if not (pending[bufnr] and pending[bufnr].request_id == request_id) then
      return -- a newer request, or dismissed
    end
    pending[bufnr] = nil
    if err then
      if err.code == METHOD_NOT_FOUND then
        unsupported[client.id] = true
      end
      if opts.explicit or err.code ~= METHOD_NOT_FOUND then
        vim.notify('glm-lsp next edit: ' .. err.message, vim.log.levels.WARN)
      end
      return
    end
    local edits = M.applicable(result, uri, vim.lsp.util.buf_versions[bufnr])
    if
      #edits == 1
      and edits[1].text ~= ''
      and compare(edits[1].range.start, edits[1].range['end']) == 0
      and inline_completion_enabled(client, bufnr)
      and vim.api.nvim_get_current_buf() == bufnr
      and compare(edits[1].range.start, vim.lsp.util.make_position_params(0, encoding).position) == 0
    then
      -- An insertion at the cursor: the ghost text the server offers for it is the suggestion.
      edits = {}
    end
    if #edits == 0 then
      if opts.explicit then
        vim.notify('glm-lsp: no next edit to suggest', vim.log.levels.INFO)
      end
      return
    end
    shown[bufnr] = { client_id = client.id, edits = edits, version = version }
    render(bufnr, shown[bufnr], encoding)
    client:notify(DID_SHOW, { item = { command = edits[1].command } })
  end, bufnr)
  if sent and request_id then
    pending[bufnr] = { client_id = client.id, request_id = request_id }
  end
end

--- Applies the buffer's suggestion as one undo step, runs its commands and puts the cursor
--- after the new text.
---@param bufnr integer
---@param suggestion glm_lsp.Suggestion
local function apply(bufnr, suggestion)
  local client = vim.lsp.get_client_by_id(suggestion.client_id)
  M.dismiss(bufnr)
  if not client or suggestion.version ~= vim.lsp.util.buf_versions[bufnr] then
    return
  end
  local encoding = client.offset_encoding
  local last = suggestion.edits[#suggestion.edits]
  -- Follows the end of the last edit through the change: the cursor goes there.
  local end_row, end_col = byte_position(bufnr, last.range['end'], encoding)
  local mark = vim.api.nvim_buf_set_extmark(bufnr, ns, end_row, end_col, { right_gravity = true })
  if vim.api.nvim_get_mode().mode:sub(1, 1) == 'i' then
    -- Typed text and the applied edit are separate undo steps.
    vim.cmd('let &g:undolevels = &g:undolevels')
  end
  vim.lsp.util.apply_text_edits(
    vim.tbl_map(function(edit) return { range = edit.range, newText = edit.text } end, suggestion.edits),
    bufnr,
    encoding
  )
  local position = vim.api.nvim_buf_get_extmark_by_id(bufnr, ns, mark, {})
  vim.api.nvim_buf_del_extmark(bufnr, ns, mark)
  if position[1] and vim.api.nvim_get_current_buf() == bufnr then
    pcall(vim.api.nvim_win_set_cursor, 0, { position[1] + 1, position[2] })
  end
  for _, edit in ipairs(suggestion.edits) do
    if edit.command then
      client:exec_cmd(edit.command, { bufnr = bufnr })
    end
  end
end

--- <Tab>: jumps to the suggestion, or applies it when the cursor is already there. Returns
--- false when there is no suggestion for the buffer as it is.
---@return boolean
function M.jump_or_apply()
  local bufnr = vim.api.nvim_get_current_buf()
  local suggestion = M.current(bufnr)
  if not suggestion then
    return false
  end
  local client = vim.lsp.get_client_by_id(suggestion.client_id)
  if not client then
    M.dismiss(bufnr)
    return false
  end
  local first = suggestion.edits[1]
  local start_row, start_col = byte_position(bufnr, first.range.start, client.offset_encoding)
  local end_row, end_col = byte_position(bufnr, first.range['end'], client.offset_encoding)
  local cursor = vim.api.nvim_win_get_cursor(0)
  local row, col = cursor[1] - 1, cursor[2]
  local inside = (row > start_row or (row == start_row and col >= start_col))
    and (row < end_row or (row == end_row and col <= end_col))
  local jumped = suggestion.jumped_to and suggestion.jumped_to[1] == cursor[1] and suggestion.jumped_to[2] == cursor[2]
  if inside or jumped then
    apply(bufnr, suggestion)
  else
    if vim.api.nvim_get_mode().mode == 'n' then
      vim.cmd("normal! m'") -- back with <C-o>
    end
    vim.api.nvim_win_set_cursor(0, { start_row + 1, start_col })
    -- In normal mode the cursor cannot stay past the end of a line: remember where it is.
    suggestion.jumped_to = vim.api.nvim_win_get_cursor(0)
  end
  return true
end

--- The keys <Tab> had before glm-lsp mapped it (a mapping's, or <Tab> itself).
---@param previous table maparg() of <Tab> in that mode
---@return string
local function fallback(previous)
  if vim.tbl_isempty(previous) then
    return vim.keycode('<Tab>')
  end
  if previous.callback then
    local keys = previous.callback()
    if previous.expr == 1 then
      return type(keys) == 'string' and (previous.replace_keycodes == 1 and vim.keycode(keys) or keys) or ''
    end
    return ''
  end
  local keys = previous.expr == 1 and vim.api.nvim_eval(previous.rhs) or vim.keycode(previous.rhs)
  if previous.noremap == 1 then
    return keys
  end
  -- A recursive mapping: its keys are mapped again.
  vim.api.nvim_feedkeys(keys, 'im', false)
  return ''
end

--- Maps <Tab> in normal and insert mode for the buffer: jumps to or applies a visible
--- suggestion, else (or with the completion menu open, or in a snippet) does what <Tab> did
--- before.
---@param bufnr integer
local function map_tab(bufnr)
  for _, mode in ipairs({ 'n', 'i' }) do
    local previous = vim.fn.maparg('<Tab>', mode, false, true)
    if previous.desc ~= 'GLM: next edit' then
      vim.keymap.set(mode, '<Tab>', function()
        -- An open completion menu or a snippet keeps <Tab> for itself.
        local busy = mode == 'i' and (vim.fn.pumvisible() == 1 or vim.snippet.active({ direction = 1 }))
        -- Only looks (an expression mapping may not change the buffer); jump_or_apply() clears a
        -- stale one.
        local suggestion = shown[bufnr]
        if not busy and suggestion and suggestion.version == vim.lsp.util.buf_versions[bufnr] then
          return vim.keycode('<Cmd>lua require("glm_lsp.next_edit").jump_or_apply()<CR>')
        end
        return fallback(previous)
      end, { buffer = bufnr, expr = true, replace_keycodes = false, desc = 'GLM: next edit' })
    end
  end
end

--- Turns next-edit suggestions on for a buffer glm-lsp is attached to.
---@param client vim.lsp.Client
---@param bufnr integer
function M.attach(client, bufnr)
  local group = vim.api.nvim_create_augroup('glm_lsp_next_edit_' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ 'TextChanged', 'TextChangedI' }, {
    group = group,
    buffer = bufnr,
    desc = 'glm-lsp: ask for the next edit',
    callback = function()
      M.dismiss(bufnr)
      if unsupported[client.id] or vim.g.glm_lsp_next_edit == false then
        return
      end
      timers[bufnr] = timers[bufnr] or vim.uv.new_timer()
      timers[bufnr]:start(REQUEST_DELAY_MS, 0, vim.schedule_wrap(function()
        if vim.api.nvim_buf_is_valid(bufnr) and vim.api.nvim_get_current_buf() == bufnr then
          M.request({ bufnr = bufnr })
        end
      end))
    end,
  })
  vim.api.nvim_create_autocmd({ 'BufWipeout', 'LspDetach' }, {
    group = group,
    buffer = bufnr,
    callback = function(args)
      if args.event == 'LspDetach' and args.data.client_id ~= client.id then
        return
      end
      M.dismiss(bufnr)
      if timers[bufnr] then
        timers[bufnr]:close()
        timers[bufnr] = nil
      end
      vim.api.nvim_del_augroup_by_id(group)
    end,
  })
  map_tab(bufnr)
end

return M
