"""What ships: the student template and bundle, the pytest plugin, the Gradescope bundle."""
