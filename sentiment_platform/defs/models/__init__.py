"""Models: training and evaluating the sentiment models."""
