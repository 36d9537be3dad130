"""Reading and writing files at the platform's edges: imports of actuals, reports."""
