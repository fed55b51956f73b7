"""Views: each draws one kind of the core's results (tokens, next token, experts, trace, recital,
training history) for the pages that show it."""
