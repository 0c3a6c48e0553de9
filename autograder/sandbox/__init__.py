"""Untrusted code: the submission's files, the child process, its limits and confinement."""
