"""Trainer workers and the neural-network objectives they optimise (scikit-learn, no HTTP)."""
