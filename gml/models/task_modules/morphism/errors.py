"""The one error type of the morphism transforms."""
from gml.utils.errors import UserError


class MorphismError(UserError):
    """A transform does not apply to the given model/layer; the message
    names the layer and says why. A :class:`UserError` (so still a
    ``ValueError``): a bad transform setting in a config reaches the user
    as one line, like every other bad input."""
