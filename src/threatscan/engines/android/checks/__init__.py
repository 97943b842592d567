"""Android checks, one module per family; each registers with `@android_check(RULE_ID, KIND, ...)`."""
