"""Services: the portal's rules. They take repositories/clients as arguments."""
