"""The `ucj` command line: a façade that validates arguments and calls one engine or launch function."""
