(function_declaration) @context
(generator_function_declaration) @context
(function_expression) @context
(arrow_function body: (statement_block)) @context
(method_definition) @context
(class_declaration) @context
(class) @context
