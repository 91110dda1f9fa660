"""Card and ACH payments through Gravity Payments' emergepay (docs/payments.md)."""
