"""Results of a recipe: tables in RESULTS.md, the same numbers in results.json, a DET plot."""
from seed.report.tables import aggregate_rows, render_results_md, summarise
