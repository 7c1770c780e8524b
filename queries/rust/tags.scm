; Definitions and references in the tree-sitter tags convention. Capture names are checked
; against a closed vocabulary by `context::queries` tests.

(struct_item name: (type_identifier) @name) @definition.class
(enum_item name: (type_identifier) @name) @definition.class
(union_item name: (type_identifier) @name) @definition.class
(type_item name: (type_identifier) @name) @definition.type
(trait_item name: (type_identifier) @name) @definition.interface
(mod_item name: (identifier) @name) @definition.module
(macro_definition name: (identifier) @name) @definition.function
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant

(declaration_list
  (function_item name: (identifier) @name) @definition.method)
(declaration_list
  (function_signature_item name: (identifier) @name) @definition.method)

(function_item name: (identifier) @name) @definition.function

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression field: (field_identifier) @name)) @reference.call
(call_expression function: (scoped_identifier name: (identifier) @name)) @reference.call
(call_expression function: (scoped_identifier path: (identifier) @name)) @reference.type
(macro_invocation macro: (identifier) @name) @reference.call
(struct_expression name: (type_identifier) @name) @reference.type
(type_identifier) @name @reference.type
; Names used as values (constants, module-level variables, identifier arguments).
; `Value::Null`, `Decor::EMPTY`: the path is a type, the name an associated item.
(scoped_identifier path: (identifier) @name) @reference.type
(scoped_identifier name: (identifier) @name) @reference.variable
(identifier) @name @reference.variable
; `crate::Item::None`: the type is the last segment of the path.
(scoped_identifier path: (scoped_identifier name: (identifier) @name)) @reference.type
