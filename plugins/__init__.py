"""Netyard's built-in architecture plugins, one package each; pure PyTorch, never Qt."""
