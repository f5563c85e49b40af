"""Case modules, one per loss, named by the loss's stem (see DESIGN.md, the one stem rule)."""

# stem -> module name; goldens.py and worker.py import them from here.
LOSSES = ("binary_cross_entropy_with_logits", "multilabel_soft_margin_loss", "binary_cross_entropy", "soft_margin_loss", "multilabel_margin_loss", "gaussian_nll_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "kl_div", "poisson_nll_loss", "mse_loss", "l1_loss", "cross_entropy", "multi_margin_loss", "ctc_loss", "margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss", "cosine_embedding_loss")
