"""The oracle the tests compare the warehouse's SQL with: the same arithmetic in pandas."""
