"""Vietnamese report triage: normalisation, features and the one model object everything uses."""
