"""Where posts come from: the mock social network and the X API v2 client."""
