"""pt2tflite.convert (torch.nn.Module) and pt2tflite.convert_onnx: in-process conversion
through the binding, checked by running the result in LiteRT against PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn as nn

import pkg_models
import pt2tflite


def test_package_surface():
    assert pt2tflite.__version__.count(".") == 2
    ops = pt2tflite.supported_onnx_ops()
    assert "Conv" in ops and "Constant" in ops and ops == sorted(ops)
    folded = pt2tflite.constant_input_onnx_ops()
    assert "NonZero" in folded and "Conv" not in folded and set(folded) <= set(ops)
    dynamic = pt2tflite.dynamic_shape_onnx_ops()
    assert "Reshape" in dynamic and "Add" in dynamic and "Conv" not in dynamic and set(dynamic) <= set(ops)
    assert pt2tflite.pass_names(), "the pipeline lists its passes"
    assert pt2tflite.int8 == np.int8 and pt2tflite.float16 == np.float16 and pt2tflite.float32 == np.float32
    # The binding is the in-process API, not a subprocess wrapper.
    assert pt2tflite._core.__file__.endswith(".so")


@pytest.mark.parametrize("exporter", ["dynamo", "torchscript"])
def test_convert_torch_module(exporter):
    model, x = pkg_models.small_cnn(), pkg_models.image(16)
    tfl = pt2tflite.convert(model, x, exporter=exporter)
    assert isinstance(tfl, bytes) and tfl[4:8] == b"TFL3"
    (y,) = pkg_models.run_tflite(tfl, x.numpy())
    pkg_models.assert_close(y, pkg_models.torch_out(model, x))


def test_convert_default_exporter_and_training_mode_restored():
    model, x = pkg_models.small_cnn(), pkg_models.image(16)
    model.train()
    tfl = pt2tflite.convert(model, (x,))  # exporter="auto": dynamo first
    assert model.training and all(m.training for m in model.modules()), "training flags must be restored"
    model.eval()
    (y,) = pkg_models.run_tflite(tfl, x.numpy())
    pkg_models.assert_close(y, pkg_models.torch_out(model, x))


def test_auto_exporter_falls_back_to_torchscript_with_a_warning(monkeypatch):
    """exporter="auto": a dynamo failure warns and the TorchScript exporter takes over."""
    real_export = torch.onnx.export

    def export(*args, **kwargs):
        if kwargs.get("dynamo"):
            raise RuntimeError("simulated dynamo failure")
        return real_export(*args, **kwargs)

    monkeypatch.setattr(torch.onnx, "export", export)
    model, x = pkg_models.small_cnn(), pkg_models.image(16)
    with pytest.warns(UserWarning, match="dynamo exporter failed.*simulated dynamo failure.*TorchScript"):
        tfl = pt2tflite.convert(model, x)
    (y,) = pkg_models.run_tflite(tfl, x.numpy())
    pkg_models.assert_close(y, pkg_models.torch_out(model, x))


def test_export_failure_is_an_export_error():
    class Bad(nn.Module):
        def forward(self, x):
            raise RuntimeError("this model cannot run")

    with pytest.raises(pt2tflite.ExportError, match="this model cannot run"):
        pt2tflite.convert(Bad(), torch.zeros(1, 3), exporter="torchscript")


def test_nhwc_io_has_no_transposes():
    """io_layout="nhwc" replaces the Arm guide's NetPermuteWrapper: channels-last I/O, no TRANSPOSE."""
    model, x = pkg_models.small_cnn(), pkg_models.image(16)
    tfl = pt2tflite.convert(model, x, io_layout="nhwc", exporter="torchscript")
    assert "TRANSPOSE" not in pkg_models.tflite_ops(tfl)
    (y,) = pkg_models.run_tflite(tfl, x.permute(0, 2, 3, 1).numpy())
    pkg_models.assert_close(y, pkg_models.torch_out(model, x))


def test_batch_and_input_shapes():
    model = pkg_models.small_cnn()
    x = pkg_models.image(16)
    tfl = pt2tflite.convert(model, x, batch=3, exporter="torchscript")
    x3 = pkg_models.image(16, batch=3, seed=1)
    (y,) = pkg_models.run_tflite(tfl, x3.numpy())
    assert y.shape == (3, 5)
    pkg_models.assert_close(y, pkg_models.torch_out(model, x3))
    # Full shapes, by forward() parameter name and by position.
    for shapes in ({"x": [2, 3, 24, 24]}, [[2, 3, 24, 24]]):
        tfl = pt2tflite.convert(model, x, input_shapes=shapes, exporter="torchscript")
        x24 = pkg_models.image(24, batch=2, seed=2)
        (y,) = pkg_models.run_tflite(tfl, x24.numpy())
        pkg_models.assert_close(y, pkg_models.torch_out(model, x24))


def test_multiple_inputs_and_numpy_examples():
    class Two(nn.Module):
        def forward(self, a, b):
            return torch.relu(a) * b + 1.0

    a = np.random.default_rng(0).standard_normal((2, 4, 6)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((2, 4, 6)).astype(np.float32)
    tfl = pt2tflite.convert(Two(), (a, b), exporter="torchscript")
    (y,) = pkg_models.run_tflite(tfl, a, b)
    pkg_models.assert_close(y, np.maximum(a, 0) * b + 1.0)


def test_save_onnx_keeps_the_export(tmp_path):
    model, x = pkg_models.small_cnn(), pkg_models.image(16)
    out = tmp_path / "kept" / "model.onnx"
    pt2tflite.convert(model, x, save_onnx=out, exporter="torchscript")
    assert out.is_file() and out.stat().st_size > 1000


def test_convert_onnx_path_bytes_and_proto(small_cnn_onnx):
    import onnx

    x = pkg_models.image(16)
    ref = pkg_models.torch_out(pkg_models.small_cnn(), x)
    by_path = pt2tflite.convert_onnx(small_cnn_onnx)
    by_str = pt2tflite.convert_onnx(str(small_cnn_onnx))
    by_bytes = pt2tflite.convert_onnx(small_cnn_onnx.read_bytes())
    by_proto = pt2tflite.convert_onnx(onnx.load(str(small_cnn_onnx)))
    assert by_path == by_str == by_bytes == by_proto, "the same model gives the same bytes (deterministic)"
    (y,) = pkg_models.run_tflite(by_path, x.numpy())
    pkg_models.assert_close(y, ref)


def test_convert_onnx_matches_the_cli(small_cnn_onnx, tmp_path):
    """The binding and the bundled C++ CLI are the same converter: byte-identical output."""
    import subprocess
    import sys

    out = tmp_path / "cli.tflite"
    p = subprocess.run([sys.executable, "-m", "pt2tflite", "convert", str(small_cnn_onnx), "-o", str(out),
                        "--nhwc-io"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert out.read_bytes() == pt2tflite.convert_onnx(small_cnn_onnx, io_layout="nhwc")


def test_dump_after_goes_to_stderr(small_cnn_onnx, capfd):
    pt2tflite.convert_onnx(small_cnn_onnx, dump_after=pt2tflite.pass_names()[-1])
    err = capfd.readouterr().err
    assert "CONV_2D" in err or "Conv" in err, err[:500]


def test_lstm_fused_or_unrolled():
    """lstm="fused" (default): one UNIDIRECTIONAL_SEQUENCE_LSTM per direction; "unrolled": plain
    ops per time step (TFLite Micro, Vela). Both match torch."""
    torch.manual_seed(0)
    model = nn.LSTM(8, 16, batch_first=True, bidirectional=True).eval()
    x = torch.randn(1, 6, 8)

    class Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = model

        def forward(self, x):
            return self.lstm(x)[0]

    for form, fused in (("fused", 2), ("unrolled", 0)):
        tfl = pt2tflite.convert(Seq(), x, exporter="torchscript", lstm=form)
        ops = pkg_models.tflite_ops(tfl)
        assert ops.count("UNIDIRECTIONAL_SEQUENCE_LSTM") == fused and ("LOGISTIC" in ops) == (not fused), ops
        (y,) = pkg_models.run_tflite(tfl, x.numpy())
        pkg_models.assert_close(y, pkg_models.torch_out(Seq(), x))


@pytest.mark.parametrize("kwargs, match", [
    (dict(io_layout="channels_last"), "io_layout"),
    (dict(batch=0), "batch"),
    (dict(batch=2.5), "batch"),
    (dict(input_shapes={"input": [1, -3, 16, 16]}), "input_shapes"),
    (dict(input_shapes=[[1, 3, 16, 16], [1, 3]]), "2 shapes"),
    (dict(representative_dataset=lambda: iter([])), "only apply with quantize"),
    (dict(io_type=pt2tflite.int8), "only apply with quantize"),
    (dict(quantize="int4"), "quantize='int4'"),
    (dict(lstm="stacked"), "lstm='stacked'"),
])
def test_bad_options_are_value_errors(small_cnn_onnx, kwargs, match):
    with pytest.raises(ValueError, match=match):
        pt2tflite.convert_onnx(small_cnn_onnx, **kwargs)


def test_wrong_model_types():
    with pytest.raises(TypeError, match="convert_onnx"):
        pt2tflite.convert("model.onnx", torch.zeros(1))
    with pytest.raises(TypeError, match="pt2tflite.convert"):
        pt2tflite.convert_onnx(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="example_inputs"):
        pt2tflite.convert(nn.Linear(2, 2), [[1.0, 2.0]])


def test_conversion_releases_the_gil(small_cnn_onnx):
    """Conversions run concurrently from threads and give identical bytes."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: pt2tflite.convert_onnx(small_cnn_onnx), range(8)))
    assert len(set(results)) == 1


def test_no_tensorflow_imported():
    import sys

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt2tflite.convert(pkg_models.small_cnn(), pkg_models.image(8), exporter="torchscript")
    assert not any(m == "tensorflow" or m.startswith("tensorflow.") for m in sys.modules)
