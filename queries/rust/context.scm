; Enclosing definitions shown above the cursor window (nvim-treesitter-context style).
(function_item) @context
(impl_item) @context
(trait_item) @context
(mod_item body: (_)) @context
(struct_item) @context
(enum_item) @context
(macro_definition) @context
