"""Git as an input: history of the postmortems, changed files, ids on other branches."""
