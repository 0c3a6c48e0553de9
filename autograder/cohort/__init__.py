"""A class: everything that takes many submissions, or the finished results of many.

* :mod:`.batch`: grade a folder of submissions in parallel, resumably (``autograder batch``);
* :mod:`.roster`: the class listing, one entry per student (shared by batch, shards and similarity);
* :mod:`.rubric`: one rubric for the class, decided before grading from what every submission looks like;
* :mod:`.shards`: a batch split over machines (``--shard K/N``) and the merge of the shards' folders;
* :mod:`.outputs`: the list of class outputs and :func:`~.outputs.export`, which writes them from finished results:
  the gradebook and summary (:mod:`.exporters`), the figures (:mod:`.figures`), ``report.html``
  (:mod:`.report_html`), all from the statistics of :mod:`.stats`;
* :mod:`.similarity`: which submissions are suspiciously alike (``similarity.csv``, ``similarity.html``);
* :mod:`.run_comparison`: what changed between two gradings of the class (``compare.csv``).

Each submission is graded by :mod:`autograder.grading`; nothing here runs student code itself.
"""
