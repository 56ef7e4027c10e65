"""Import torchao without a deprecation warning that users cannot act on.

Upstream cause: torchao 0.18 decorates its ``KernelPreference`` enum with
``register_as_pytree_constant``, and torch 2.14 logs (logger
``torch.utils._pytree``) that calling ``register_constant()`` on an Enum
subclass is deprecated. It fires once, when torchao is first imported, on
every quantization run. Only that record is dropped, only during this
import; gml's modules import torchao through here first.
"""
import logging


class _EnumConstantDeprecation(logging.Filter):

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ('KernelPreference' in message
                    and 'register_constant()' in message)


def _import_torchao() -> None:
    logger = logging.getLogger('torch.utils._pytree')
    quiet = _EnumConstantDeprecation()
    logger.addFilter(quiet)
    try:
        import torchao.quantization.pt2e  # noqa: F401
    finally:
        logger.removeFilter(quiet)


_import_torchao()
