"""`portal`: the Dealer Portal command-line tool (admin API client, ERP imports and feed exports).

Installed as a console script by `pyproject.toml`; never deployed with the Lambda.
"""
