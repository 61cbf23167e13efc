"""Writes of the trainees app, one module per area: regions, identity, sign-in, messaging, roster."""
