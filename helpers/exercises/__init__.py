"""Every notebook's exercises; importing this package registers them in helpers.checks."""
