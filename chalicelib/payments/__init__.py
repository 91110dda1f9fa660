"""Card and ACH payments through Gravity Payments' emergepay (DESIGN §6)."""
