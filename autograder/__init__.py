"""cs231n autograder."""
