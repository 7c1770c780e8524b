(method_definition name: (property_identifier) @name) @definition.method
(class_declaration name: (_) @name) @definition.class
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(arrow_function) (function_expression)]) @definition.function)
(variable_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(arrow_function) (function_expression)]) @definition.function)
; Constants; the engine keeps only top-level ones.
(lexical_declaration
  (variable_declarator
      name: (identifier) @name
      value: [(number) (string) (object) (array) (template_string) (new_expression)]) @definition.constant)

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (member_expression property: (property_identifier) @name)) @reference.call
(new_expression constructor: (identifier) @name) @reference.type
(member_expression object: (identifier) @name) @reference.type
(class_heritage (identifier) @name) @reference.type
(jsx_opening_element name: (identifier) @name) @reference.call
(jsx_self_closing_element name: (identifier) @name) @reference.call
