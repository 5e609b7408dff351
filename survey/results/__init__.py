"""Results: indicators against targets, breakdowns, trends and free text, as pages and JSON."""
