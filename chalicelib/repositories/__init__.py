"""Repositories: the only code that builds DynamoDB keys or runs queries."""
