"""The one error type of the morphism transforms."""


class MorphismError(ValueError):
    """A transform does not apply to the given model/layer; the message
    names the layer and says why."""
