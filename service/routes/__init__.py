"""HTTP routes, thin: validate, call into the service modules, shape the response."""
