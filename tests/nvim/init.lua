-- A minimal Neovim 0.11 configuration for glm-lsp, as a user would write it.
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'
vim.opt.completeopt = { 'menu', 'menuone', 'noinsert' }

vim.lsp.config('glm_lsp', {
  cmd = { vim.env.GLM_LSP_BIN or 'glm-lsp' },
  filetypes = { 'rust', 'python', 'javascript', 'typescript', 'go', 'c', 'cpp', 'java', 'lua' },
  root_markers = { '.git', 'Cargo.toml', 'pyproject.toml', 'package.json', 'go.mod' },
  init_options = {
    completion = { debounceMs = 0, maxWaitMs = 5000 },
  },
})
vim.lsp.enable('glm_lsp')

vim.api.nvim_create_autocmd('LspAttach', {
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client and client.name == 'glm_lsp' then
      vim.lsp.completion.enable(true, client.id, args.buf, { autotrigger = false })
    end
  end,
})
