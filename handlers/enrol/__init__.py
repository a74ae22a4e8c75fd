"""The enrolment form: its steps as data, parsers, navigation and submission."""
