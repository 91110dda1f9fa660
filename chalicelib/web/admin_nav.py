"""The Dealer Administration navigation: one list, in menu order.

Other features add their admin page here (one line): (label, url).
"""

ADMIN_NAV = [
    ("Customers", "/admin/customers"),
    ("Dealers", "/admin/dealers"),
    ("Payments", "/admin/payments"),
    ("Service requests", "/admin/service-requests"),
    ("Parts orders", "/admin/parts-orders"),
    ("Portal settings", "/admin/settings"),
    ("Theme", "/admin/theme"),
    ("Audit log", "/admin/audit"),
]
