"""Project-wide API plumbing: RFC 9457 problems, the JSON parser and renderer. Imports no app."""
