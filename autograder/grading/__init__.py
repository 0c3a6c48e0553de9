"""One submission: plan, run, judge, credit, report."""
