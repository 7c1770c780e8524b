(function_definition) @context
(struct_specifier body: (_)) @context
(enum_specifier body: (_)) @context
(union_specifier body: (_)) @context
