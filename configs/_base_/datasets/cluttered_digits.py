# Cluttered digits (gml.ClutteredDigitsDataset): each embedded 8x8 digit at a
# seeded random position on a 16x16 canvas with two 3x3 fragments of other
# digits, generated at load time (no download). Training holds six
# placements of each of the 1078 training digits (6468 images); val/test one
# of each (360/359). Where the digit is and which strokes belong to it make
# receptive field and kernel size matter, unlike on the plain 8x8 digits.
_base_ = ['./digits.py']

dataset_type = 'gml.ClutteredDigitsDataset'
clutter = dict(type=dataset_type, canvas_size=16, num_clutter=2,
               clutter_size=3, seed=0)
data_preprocessor = dict(mean=[25.6, 25.6, 25.6], std=[66.4, 66.4, 66.4])

train_dataloader = dict(dataset=dict(copies=6, **clutter))
val_dataloader = dict(dataset=dict(**clutter))
test_dataloader = dict(dataset=dict(**clutter))
