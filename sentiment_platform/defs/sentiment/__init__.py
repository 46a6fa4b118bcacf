"""Sentiment: text, image and whole-post scores of each hour."""
