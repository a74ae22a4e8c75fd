"""The steps of the enrolment form: how each question is asked and its answer read.

`step` holds what a step is and what its parser may answer; the other modules hold the steps
themselves, by part of the form (identity, contact, residence, work, payment). A parser only
reads the message and the draft: it returns what should change, and the flow applies it.
Which steps make up the form, and in what order, is declared in `handlers/enrol/fields.py`.
"""
