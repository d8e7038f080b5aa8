"""Reading the format: a file becomes a Postmortem; the vocabulary, schema and taxonomy
it is checked against; the repository configuration. Imports nothing else of ours."""
