"""Services: the single place each rule lives, called by every door."""
