(expression_statement (assignment left: (identifier) @name) @definition.constant)
(class_definition name: (identifier) @name) @definition.class
(class_definition
  body: (block
    [(function_definition name: (identifier) @name) @definition.method
     (decorated_definition (function_definition name: (identifier) @name) @definition.method)]))
(function_definition name: (identifier) @name) @definition.function

(call function: (identifier) @name) @reference.call
(call function: (attribute attribute: (identifier) @name)) @reference.call
(type (identifier) @name) @reference.type
(argument_list (identifier) @name) @reference.type
(attribute object: (identifier) @name) @reference.type
; Names used as values (constants, module-level variables, identifier arguments).
(identifier) @name @reference.variable
(attribute attribute: (identifier) @name) @reference.variable
