(function_definition) @context
(class_definition) @context
(decorated_definition) @context
