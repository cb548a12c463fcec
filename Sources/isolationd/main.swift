// Placeholder entry point until the CLI lands (issue 2, item 7).
print("isolationd")
