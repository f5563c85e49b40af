"""Case modules, one per loss, named by the loss's stem (see DESIGN.md, the one stem rule)."""

# stem -> module name; goldens.py and worker.py import them from here.
LOSSES = ("bce_with_logits", "multilabel_soft_margin", "binary_cross_entropy", "soft_margin", "multilabel_margin")
