"""Training and evaluation of the models, the labeled datasets they read, and their report charts."""
