"""A class: batch grading, the rubric, shards, the class outputs, similarity, run comparison."""
