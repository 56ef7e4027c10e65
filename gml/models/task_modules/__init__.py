"""Model-side tools that algorithms use but that are not networks (after
MMRazor's ``models/task_modules``): network morphism's torch.fx surgery
and weight inheritance."""
