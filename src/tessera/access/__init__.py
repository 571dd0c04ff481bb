"""Who may do what: passwords, the caller's accountability, and how it is resolved."""
