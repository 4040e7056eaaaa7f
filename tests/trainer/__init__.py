"""Tests of the trainer's objectives and data (no service, no network)."""
