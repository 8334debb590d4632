"""What both estimators share: parameter validation, the one training loop,
torch helpers, persistence and optional imports."""
