// Empty translation unit: link_whole in the worker build needs a static library target.
