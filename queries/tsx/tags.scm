; inherits: typescript (the server prepends queries/typescript/tags.scm; imports.scm and
; context.scm are TypeScript's as they are)

(jsx_opening_element name: (identifier) @name) @reference.call
(jsx_self_closing_element name: (identifier) @name) @reference.call
