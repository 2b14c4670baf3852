"""Training, evaluation and data tooling for the triage model; the `triage` CLI lives here."""
