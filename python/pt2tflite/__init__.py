"""pt2tflite: PyTorch / ONNX → TFLite (LiteRT), converted natively in C++ — no TensorFlow.

    import pt2tflite
    tflite_bytes = pt2tflite.convert(model, example_input)              # a torch.nn.Module
    tflite_bytes = pt2tflite.convert_onnx("model.onnx", io_layout="nhwc")
    report = pt2tflite.verify("model.onnx", "model.tflite")              # onnxruntime vs LiteRT

or, with TensorFlow's spelling (`import pt2tflite as tf`):

    converter = tf.lite.TFLiteConverter.from_pytorch(model, example_input)
    tflite_bytes = converter.convert()

Extras: pip install 'pt2tflite[torch]' for torch models, 'pt2tflite[verify]' for verify.
"""

try:
    from . import _core
except ImportError as e:  # a source checkout on sys.path, or a broken install
    raise ImportError(f"pt2tflite's C++ extension (pt2tflite._core) could not be loaded ({e}). Install the "
                      f"package with `pip install .` from the repository root; its system libraries "
                      f"(protobuf, libonnx) come from scripts/setup.sh") from e

from . import lite
from .api import constant_input_onnx_ops, convert, convert_onnx, dynamic_shape_onnx_ops, pass_names, supported_onnx_ops
from .dtypes import float16, float32, int8, int16, int32, int64, uint8
from .errors import (ConversionError, InternalError, InvalidArgumentError, InvalidModelError, MissingExtraError,
                     NotYetImplementedError, UnsupportedError)
from ._export import ExportError
from .verify import VerifyReport, verify

__version__ = _core.version

__all__ = [
    "convert", "convert_onnx", "verify", "VerifyReport", "lite", "supported_onnx_ops", "constant_input_onnx_ops",
    "dynamic_shape_onnx_ops",
    "pass_names",
    "int8", "uint8", "int16", "int32", "int64", "float16", "float32",
    "ConversionError", "UnsupportedError", "NotYetImplementedError", "InvalidModelError",
    "InvalidArgumentError", "InternalError", "ExportError", "MissingExtraError", "__version__",
]
