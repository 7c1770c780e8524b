(function_definition) @context
(class_specifier body: (_)) @context
(struct_specifier body: (_)) @context
(namespace_definition) @context
(lambda_expression) @context
