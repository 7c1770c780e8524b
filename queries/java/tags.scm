(class_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(enum_declaration name: (identifier) @name) @definition.type
(interface_declaration name: (identifier) @name) @definition.interface
(annotation_type_declaration name: (identifier) @name) @definition.interface
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.method
(field_declaration
  (modifiers "static")
  declarator: (variable_declarator name: (identifier) @name)) @definition.constant

(method_invocation name: (identifier) @name) @reference.call
(method_invocation object: (identifier) @name) @reference.type
(object_creation_expression type: (type_identifier) @name) @reference.type
(type_identifier) @name @reference.type
; Names used as values (constants, module-level variables, identifier arguments).
(identifier) @name @reference.variable
(field_access field: (identifier) @name) @reference.variable
