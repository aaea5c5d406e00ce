"""The workshop's checker: grades each exercise in its own subprocess and explains the result.

``python -m checker`` grades ``./exercises``; see ``python -m checker --help``.
"""
