"""The differentiable ops, one small Function class each: forward on raw arrays, backward in Tensor ops."""
