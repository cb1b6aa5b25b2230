"""Real text collected from public sources for training and held-out measurement (see README.md)."""
