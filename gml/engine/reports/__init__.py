"""What a search writes for people: candidate tables, fronts, plots, and
the morphism evolution's tables, lineage and storyboard."""
