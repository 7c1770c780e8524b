(function_declaration) @context
(method_declaration) @context
(func_literal) @context
(type_declaration) @context
