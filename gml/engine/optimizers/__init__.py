from .separate_optim_wrapper_constructor import SeparateOptimWrapperConstructor  # noqa: F401,E501
