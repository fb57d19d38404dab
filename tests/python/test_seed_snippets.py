"""The seeds' TFLiteConverter code (/work/shared/seeds), ported with only the constructor changed:
`import pt2tflite as tf`, then `tf.lite.TFLiteConverter.from_pytorch(model, example_input)`
where the seeds had `from_saved_model(saved_model_dir)` / `from_concrete_functions([...])`.
A tiny MobileNet-like model stands in for MobileNetV2, at 32x32 instead of 256x256.

Each quantized snippet converts for real and checks what the tutorial promises: the .tflite runs
in LiteRT, its tensors have the asked types, and its outputs stay close to the float model's
(SQNR thresholds ~10 dB under what each mode measures on these models). Sizes are checked on a
wider model whose weights dominate the file (test_sizes_follow_the_weight_type).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import pkg_models
import pt2tflite as tf  # the seeds' spelling



@pytest.fixture(scope="module")
def mobilenet():
    return pkg_models.tiny_mobilenet()


@pytest.fixture(scope="module")
def example_input():
    return torch.rand(1, 3, 32, 32)  # the seed: torch.rand(1, 3, 256, 256)


def representative_dataset_gen():
    """The seed's generator, with random images instead of cv2.imread (same preprocessing range)."""
    rng = np.random.default_rng(0)
    for _ in range(16):
        image = rng.uniform(0, 255, (1, 3, 32, 32)).astype(np.float32) / 127.5 - 1.0
        yield [image]


def sqnr_on_samples(model, tflite_model: bytes, n: int = 4) -> float:
    """Worst SQNR (dB) of the .tflite against PyTorch over the first n representative images
    (float I/O)."""
    worst = float("inf")
    for (x,) in list(representative_dataset_gen())[:n]:
        (y,) = pkg_models.run_tflite(tflite_model, x)
        worst = min(worst, pkg_models.sqnr_db(pkg_models.torch_out(model, torch.from_numpy(x)), y))
    return worst


def _details(tflite_model: bytes):
    interp = tf.lite.Interpreter(model_content=tflite_model)
    interp.allocate_tensors()
    return interp


# --------------------------------------------------------------------------- tutorial: float


def test_tutorial_float(mobilenet, example_input, tmp_path):
    tflite_model_path = str(tmp_path / "my_model.tflite")
    # Convert the model
    converter = tf.lite.TFLiteConverter.from_pytorch(mobilenet, example_input)
    tflite_model = converter.convert()
    # Save the model
    with open(tflite_model_path, "wb") as f:
        f.write(tflite_model)

    # The seed's test, unchanged: load the TFLite model and allocate tensors
    interpreter = tf.lite.Interpreter(model_path=tflite_model_path)
    interpreter.allocate_tensors()
    input_details = interpreter.get_input_details()
    output_details = interpreter.get_output_details()
    input_shape = input_details[0]["shape"]
    input_data = np.array(np.random.random_sample(input_shape), dtype=np.float32)
    interpreter.set_tensor(input_details[0]["index"], input_data)
    interpreter.invoke()
    output_data = interpreter.get_tensor(output_details[0]["index"])
    assert output_data.shape == (1, 10)
    # …and it computes what PyTorch computes.
    pkg_models.assert_close(output_data, pkg_models.torch_out(mobilenet, torch.from_numpy(input_data)))


# --------------------------------------------------------------------------- tutorial: dynamic range


def test_tutorial_dynamic_range(mobilenet, example_input):
    converter = tf.lite.TFLiteConverter.from_pytorch(mobilenet, example_input)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    tflite_model = converter.convert()
    # Weights with >= 1024 elements are int8 (the 16x96 and 96x16 1x1 convs; the stem's 432,
    # the depthwise 864 and the classifier's 160 stay float32), I/O stays float32, and the
    # hybrid kernels stay close to the float model.
    interp = _details(tflite_model)
    assert interp.get_input_details()[0]["dtype"] == np.float32
    assert interp.get_output_details()[0]["dtype"] == np.float32
    assert pkg_models.weight_dtypes(tflite_model, "CONV_2D") == [np.float32, np.int8, np.int8]
    assert pkg_models.weight_dtypes(tflite_model, "DEPTHWISE_CONV_2D") == [np.float32]
    sqnr = sqnr_on_samples(mobilenet, tflite_model)
    assert sqnr > 40, f"dynamic-range output SQNR {sqnr:.1f} dB"  # measured ~80 dB


# --------------------------------------------------------------------------- tutorial: full int8


def test_tutorial_full_integer(mobilenet, example_input):
    converter = tf.lite.TFLiteConverter.from_pytorch(mobilenet, example_input)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset_gen
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8  # or tf.uint8
    converter.inference_output_type = tf.int8  # or tf.uint8
    # The seed then set `converter.target_spec.supported_ops = [tf.lite.OpsSet.SELECT_TF_OPS]`;
    # pt2tflite writes builtin ops only and refuses that (test_select_tf_ops_is_refused).
    tflite_model = converter.convert()
    # int8 input and output with scale/zero point, every op int8 (TFLITE_BUILTINS_INT8 alone: no
    # float fallback), int8 weights, and the dequantized output close to the float model's on
    # calibration-like data.
    interp = _details(tflite_model)
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    assert inp["dtype"] == np.int8 and out["dtype"] == np.int8
    assert inp["quantization"][0] > 0 and out["quantization"][0] > 0
    assert not any(d["dtype"] == np.float32 for d in interp.get_tensor_details()), "float tensors left"
    assert "QUANTIZE" not in pkg_models.tflite_ops(tflite_model)  # int8 from input to output
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        assert set(pkg_models.weight_dtypes(tflite_model, op)) == {np.dtype(np.int8)}, op
    worst = float("inf")
    for (x,) in list(representative_dataset_gen())[:4]:
        s, zp = inp["quantization"]
        q = np.clip(np.round(x / s) + zp, -128, 127).astype(np.int8)
        (yq,) = pkg_models.run_tflite(tflite_model, q)
        os_, ozp = out["quantization"]
        y = (yq.astype(np.float32) - ozp) * os_
        worst = min(worst, pkg_models.sqnr_db(pkg_models.torch_out(mobilenet, torch.from_numpy(x)), y))
    assert worst > 30, f"int8 output SQNR {worst:.1f} dB"  # measured ~45 dB


# --------------------------------------------------------------------------- tutorial: float16


def test_tutorial_float16(mobilenet, example_input):
    converter = tf.lite.TFLiteConverter.from_pytorch(mobilenet, example_input)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    # The seed: [TFLITE_BUILTINS, SELECT_TF_OPS]; SELECT_TF_OPS is refused (see below).
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    converter.target_spec.supported_types = [tf.float16]
    tflite_model = converter.convert()
    # float16 weights dequantized at load, float32 I/O, outputs within float16 rounding of the
    # float model's.
    interp = _details(tflite_model)
    assert interp.get_input_details()[0]["dtype"] == np.float32
    assert interp.get_output_details()[0]["dtype"] == np.float32
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        assert set(pkg_models.weight_dtypes(tflite_model, op)) == {np.dtype(np.float16)}, op
    x = torch.rand(1, 3, 32, 32)
    (y,) = pkg_models.run_tflite(tflite_model, x.numpy())
    pkg_models.assert_close(y, pkg_models.torch_out(mobilenet, x), tol=1e-2)
    sqnr = sqnr_on_samples(mobilenet, tflite_model)
    assert sqnr > 60, f"float16 output SQNR {sqnr:.1f} dB"  # measured ~81 dB


def test_int16x8(mobilenet, example_input):
    """TF's EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8: int16 activations."""
    converter = tf.lite.TFLiteConverter.from_pytorch(mobilenet, example_input)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset_gen
    converter.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    tflite_model = converter.convert()
    interp = _details(tflite_model)
    assert interp.get_input_details()[0]["dtype"] == np.float32  # QUANTIZE/DEQUANTIZE at the borders
    conv_out = [d for d in interp.get_tensor_details() if d["dtype"] == np.int16]
    assert conv_out, "no int16 activations"
    assert set(pkg_models.weight_dtypes(tflite_model, "CONV_2D")) == {np.dtype(np.int8)}
    sqnr = sqnr_on_samples(mobilenet, tflite_model)
    assert sqnr > 40, f"int16x8 output SQNR {sqnr:.1f} dB"  # measured ~52 dB


@pytest.mark.parametrize("mode, ratio", [("float16", 0.5), ("dynamic", 0.25), ("int8", 0.25)])
def test_sizes_follow_the_weight_type(mode, ratio):
    """On a model whose ~0.9 M weights are ~99 % of the file: float16 ≈ ½ and int8 ≈ ¼ of float32."""
    model, x = pkg_models.wide_cnn(), torch.rand(1, 3, 8, 8)

    def rep():
        rng = np.random.default_rng(0)
        for _ in range(8):
            yield [rng.random((1, 3, 8, 8), dtype=np.float32)]

    float_size = len(tf.convert(model, x))
    quantized = tf.convert(model, x, quantize=mode, representative_dataset=rep if mode == "int8" else None)
    assert len(quantized) / float_size == pytest.approx(ratio, rel=0.05), (len(quantized), float_size)
    (y,) = pkg_models.run_tflite(quantized, x.numpy())
    assert pkg_models.sqnr_db(pkg_models.torch_out(model, x), y) > 30


# --------------------------------------------------------------------------- Arm guide: int8 for Ethos-U


def test_arm_guide_simple_network_int8():
    model = pkg_models.simple_network()
    test_input = torch.rand(1, 3, 32, 32)

    def rep_dataset():
        """Generator function to produce representative dataset for post-training quantization."""
        rng = np.random.default_rng(1)
        for _ in range(16):  # the guide: 100 batches from the CIFAR-10 train loader
            img = rng.random((1, 3, 32, 32), dtype=np.float32)
            yield [img.astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_pytorch(model, test_input)  # was from_saved_model("model_tf")
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = rep_dataset
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    tflite_model = converter.convert()
    # int8 I/O; BatchNorm folded (no fuse_modules step needed); the
    # softmax output has the spec's fixed params (scale 1/256, zero point -128); Vela-ready
    # (no float ops left, at most the one input-border TRANSPOSE with NCHW I/O).
    interp = _details(tflite_model)
    out = interp.get_output_details()[0]
    assert interp.get_input_details()[0]["dtype"] == np.int8 and out["dtype"] == np.int8
    assert out["quantization"] == pytest.approx((1 / 256, -128))
    ops = pkg_models.tflite_ops(tflite_model)
    assert ops.count("TRANSPOSE") <= 1 and "BATCH_NORM" not in " ".join(ops)
    assert not any(d["dtype"] == np.float32 for d in interp.get_tensor_details()), "float tensors left"
    (x,) = next(rep_dataset())
    s, zp = interp.get_input_details()[0]["quantization"]
    (yq,) = pkg_models.run_tflite(tflite_model, np.clip(np.round(x / s) + zp, -128, 127).astype(np.int8))
    y = (yq.astype(np.float32) + 128) / 256
    sqnr = pkg_models.sqnr_db(pkg_models.torch_out(model, torch.from_numpy(x)), y)
    assert sqnr > 30, f"int8 softmax output SQNR {sqnr:.1f} dB"  # measured ~40 dB


def test_arm_guide_float_without_permute_wrapper():
    """The guide's NetPermuteWrapper (to drop the input transpose) becomes io_layout="nhwc"."""
    model = pkg_models.simple_network()
    test_input = torch.rand(1, 3, 32, 32)
    converter = tf.lite.TFLiteConverter.from_pytorch(model, test_input)
    converter.io_layout = "nhwc"
    tflite_model = converter.convert()
    ops = pkg_models.tflite_ops(tflite_model)
    assert "TRANSPOSE" not in ops and "BATCH_NORM" not in " ".join(ops)
    (y,) = pkg_models.run_tflite(tflite_model, test_input.permute(0, 2, 3, 1).numpy())
    pkg_models.assert_close(y, pkg_models.torch_out(model, test_input))


# --------------------------------------------------------------------------- refusals and TF's rules


def test_select_tf_ops_is_refused(mobilenet, example_input):
    for ops in ([tf.lite.OpsSet.SELECT_TF_OPS], [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]):
        converter = tf.lite.TFLiteConverter.from_pytorch(mobilenet, example_input)
        converter.target_spec.supported_ops = ops
        with pytest.raises(tf.UnsupportedError, match="SELECT_TF_OPS.*builtin ops only"):
            converter.convert()


def test_from_onnx(small_cnn_onnx):
    converter = tf.lite.TFLiteConverter.from_onnx(str(small_cnn_onnx))
    x = pkg_models.image(16)
    (y,) = pkg_models.run_tflite(converter.convert(), x.numpy())
    pkg_models.assert_close(y, pkg_models.torch_out(pkg_models.small_cnn(), x))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    (yq,) = pkg_models.run_tflite(converter.convert(), x.numpy())
    assert pkg_models.sqnr_db(pkg_models.torch_out(pkg_models.small_cnn(), x), yq) > 40


def test_tensorflow_constructors_point_to_from_pytorch():
    with pytest.raises(tf.UnsupportedError, match="from_pytorch"):
        tf.lite.TFLiteConverter.from_saved_model("./my_model_tf")
    with pytest.raises(tf.UnsupportedError, match="from_onnx"):
        tf.lite.TFLiteConverter.from_concrete_functions([object()])


def test_unknown_settings_are_not_ignored(small_cnn_onnx):
    converter = tf.lite.TFLiteConverter.from_onnx(small_cnn_onnx)
    with pytest.raises(AttributeError, match="optimisations"):
        converter.optimisations = [tf.lite.Optimize.DEFAULT]  # a typo fails
    with pytest.raises(AttributeError, match="experimental_select_user_tf_ops"):
        converter.target_spec.experimental_select_user_tf_ops = ["MyOp"]
    converter.allow_custom_ops = True  # harmless: pt2tflite never writes custom ops
    converter.experimental_new_converter = True
    assert converter.convert()[4:8] == b"TFL3"
