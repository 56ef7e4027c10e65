"""What gml's command-line tools share, above the engine: argument
parsing, and the :class:`~gml.apis.cli.ToolSession` that loads a config,
builds the Runner and turns a user's mistake into one line and exit code 2.
Imports stay light until a config is loaded."""
