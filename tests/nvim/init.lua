-- The test's own init: only what a user writes. The config (lsp/glm_lsp.lua) and the plugin
-- (plugin/glm_lsp.lua) are loaded unchanged from editors/neovim on the runtimepath.
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'
vim.opt.runtimepath:prepend(vim.env.GLM_NVIM_RUNTIME)
vim.lsp.enable('glm_lsp')
