(class_declaration) @context
(record_declaration) @context
(enum_declaration) @context
(interface_declaration) @context
(method_declaration) @context
(constructor_declaration) @context
(lambda_expression body: (block)) @context
