(method_definition name: (property_identifier) @name) @definition.method
(method_signature name: (property_identifier) @name) @definition.method
(abstract_method_signature name: (property_identifier) @name) @definition.method
; Class fields (`private cache: Cache`, `protected depth = 0`): what `this.cache` names.
(public_field_definition name: (property_identifier) @name) @definition.field
(class_declaration name: (type_identifier) @name) @definition.class
(abstract_class_declaration name: (type_identifier) @name) @definition.class
(interface_declaration name: (type_identifier) @name) @definition.interface
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.type
(module name: (identifier) @name) @definition.module
(internal_module name: (identifier) @name) @definition.module
(function_declaration name: (identifier) @name) @definition.function
(function_signature name: (identifier) @name) @definition.function
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
      value: [(number) (string) (object) (array) (template_string) (new_expression) (as_expression)]) @definition.constant)

; CommonJS and prototype members: `exports.isString = function`, `Runnable.prototype.slow = function`.
(expression_statement
  (assignment_expression
    left: (member_expression property: (property_identifier) @name)
    right: [(function_expression) (arrow_function)]) @definition.function)
; Functions in module-level objects (`module.exports = {…}`, `jQuery.extend({…})`); the
; engine keeps only those.
(pair key: (property_identifier) @name value: [(function_expression) (arrow_function)]) @definition.method
; Entries of other values in objects a module exports (`module.exports = { ERR_A: … }`); the
; engine keeps only those.
(pair key: (property_identifier) @name value: [(string) (number) (call_expression) (new_expression) (member_expression)
  (identifier) (template_string) (object) (array) (true) (false) (null) (regex) (binary_expression)]) @definition.constant
; Module-level variables of any other value (`export var rtrimCSS = new RegExp(…)`); a
; `require` is an import, not a definition.
(lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(regex) (binary_expression) (unary_expression) (member_expression) (identifier) (ternary_expression)
            (true) (false) (null) (await_expression) (class)]) @definition.constant)
(variable_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(number) (string) (object) (array) (template_string) (new_expression) (regex) (binary_expression)
            (unary_expression) (member_expression) (identifier) (ternary_expression) (true) (false) (null)]) @definition.constant)
((lexical_declaration
  (variable_declarator name: (identifier) @name value: (call_expression function: (_) @_callee)) @definition.constant)
  (#not-eq? @_callee "require"))
((variable_declaration
  (variable_declarator name: (identifier) @name value: (call_expression function: (_) @_callee)) @definition.constant)
  (#not-eq? @_callee "require"))

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (member_expression property: (property_identifier) @name)) @reference.call
(new_expression constructor: (identifier) @name) @reference.type
(member_expression object: (identifier) @name) @reference.type
(type_identifier) @name @reference.type
; Names used as values (constants, module-level variables, identifier arguments).
(identifier) @name @reference.variable
(shorthand_property_identifier) @name @reference.variable
(member_expression property: (property_identifier) @name) @reference.variable
