(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
(type_spec name: (type_identifier) @name type: (struct_type)) @definition.class
(type_spec name: (type_identifier) @name type: [(type_identifier) (qualified_type) (pointer_type) (slice_type) (map_type) (function_type) (channel_type) (array_type) (generic_type)]) @definition.type
(type_alias name: (type_identifier) @name) @definition.type
(const_declaration (const_spec name: (identifier) @name) @definition.constant)
(var_declaration (var_spec name: (identifier) @name) @definition.constant)
(var_declaration (var_spec_list (var_spec name: (identifier) @name) @definition.constant))

(call_expression function: [
    (identifier) @name
    (parenthesized_expression (identifier) @name)
    (selector_expression field: (field_identifier) @name)
    (parenthesized_expression (selector_expression field: (field_identifier) @name))
  ]) @reference.call
(type_identifier) @name @reference.type
(composite_literal type: (type_identifier) @name) @reference.type
; Names used as values (constants, module-level variables, identifier arguments).
(identifier) @name @reference.variable
(selector_expression field: (field_identifier) @name) @reference.variable
