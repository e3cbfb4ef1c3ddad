"""The machine-learning experiment this workflow runs: datasets, estimators, splitters, scorers,
evaluation, tables and figures. Built on the seedlock toolchain, which knows none of it."""
