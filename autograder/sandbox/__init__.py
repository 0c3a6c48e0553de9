"""Untrusted code: a submission's files, the child process that runs them, its limits and its confinement.

* :mod:`.submission`: open a submission (a folder or a zip, safely unpacked), find the student's packages and
  stage them with the trusted provided files for a child;
* :mod:`.runner`: run a staged submission in a child process and collect the raw outputs of each probe;
* :mod:`.confinement`: namespaces, a read-only filesystem, an unprivileged user: isolation beyond the limits;
* :mod:`.limits`: the resource limits of every process that runs student code;
* :mod:`.inprocess`: the same probes in the grader's own process, for the trusted reference only.

The code that runs inside the child is :mod:`autograder.child`, which imports nothing of the grader. Nothing here
knows what is checked or how it is judged.
"""
