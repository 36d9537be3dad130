"""Plan monitoring: progress math, status, the monthly clock and plan lint (pure functions)."""
