"""Dealer Portal application package (deployed with app.py)."""
