"""Sentiment models: text and image scorers, their training and evaluation."""
