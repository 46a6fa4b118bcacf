"""Image models: the vision backbone and its head, the affect and CLIP models, scoring image files
and reading the text in them."""
