"""One module per area of the portal; tests mirror them in tests/portal/."""
