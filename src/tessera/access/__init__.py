"""Who may do what: passwords now; accountability and permission resolution to come."""
