"""The review loop: a queue of the comments the model is least sure of, and a page to code them."""
