"""Live sources of the open social web: a network's stream or timeline, landed as it arrives."""
