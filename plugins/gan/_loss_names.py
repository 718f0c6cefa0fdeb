"""The adversarial losses' names: the schema's choices and what ``_losses`` implements.

A leaf without torch, so the plugin's declaration imports it and stays cheap to list.
"""

LOSSES = ("nonsaturating", "hinge", "wgan-gp")
