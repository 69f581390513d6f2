"""One module per CLI subcommand; see `natmod_tool.cli`."""
