"""Transformer ops of recent opsets built with onnx.helper — Attention (23/24/25),
RotaryEmbedding (23), TensorScatter (24), SwiGLU (28) — converted, run in LiteRT and
compared with onnxruntime (float32 rule; float16 outputs to 2 float16 steps at max|ref|,
the node-conformance bound, since onnxruntime rounds intermediates to float16 and the
lowering keeps them in float32). Covers the forms a user hits: 3-D and 4-D inputs,
grouped-query heads, causal masks with a KV past, boolean masks with a fully masked row,
float masks broadcast from lower ranks or shorter than the key length, softcap, every
qk_matmul_output_mode, nonpad_kv_seqlen, sliding windows, run-time and constant masks and
caches. Plus scaled_dot_product_attention from torch through the dynamo exporter.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import harness

_TYPES = {np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16, np.int64: TensorProto.INT64,
          np.bool_: TensorProto.BOOL}
_rng = np.random.default_rng(0)
F16_TOL = 2 * 2.0 ** -10


def _f(*shape, dtype=np.float32):
    return _rng.standard_normal(shape).astype(dtype)


def _model(op, attrs, inputs, opset, outputs, consts=()):
    """One `op` node. `inputs` is the node's input list in order: (name, array) or None for
    an omitted optional input; names in `consts` become initializers, the rest graph inputs.
    `outputs` lists output names, "" for an omitted one."""
    names, vis, inits, feeds = [], [], [], {}
    for item in inputs:
        if item is None:
            names.append("")
            continue
        name, value = item
        names.append(name)
        if name in consts:
            inits.append(numpy_helper.from_array(value, name))
        else:
            feeds[name] = value
            vis.append(helper.make_tensor_value_info(name, _TYPES[value.dtype.type], value.shape))
    while names and names[-1] == "":
        names.pop()
    outs = [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None) for o in outputs if o]
    node = helper.make_node(op, names, list(outputs), name="node", **attrs)
    graph = helper.make_graph([node], op, vis, outs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return onnx.shape_inference.infer_shapes(model, strict_mode=True), feeds


def _check(tmp_path, model, feeds, case, ref=None):
    path = tmp_path / f"{case}.onnx"
    onnx.save(model, str(path))
    if ref is None:
        ref = harness.run_onnxruntime(path, feeds)
    tfl = harness.convert(path, tmp_path / f"{case}.tflite")
    got = harness.run_litert(tfl, feeds, list(ref)).outputs
    for name, r in ref.items():
        assert got[name].dtype == r.dtype, f"{name}: {got[name].dtype}, onnxruntime {r.dtype}"
    for name, r in ref.items():  # qk_matmul_output mode 2 holds the mask's -inf: same places, then compared as 0
        if np.issubdtype(r.dtype, np.floating) and np.isinf(r).any():
            assert np.array_equal(np.isinf(got[name]), np.isinf(r)), f"[{case}] {name}: -inf in other places"
            assert np.array_equal(got[name][np.isinf(r)], r[np.isinf(r)]), f"[{case}] {name}: inf signs differ"
            ref[name], got[name] = np.where(np.isinf(r), 0, r), np.where(np.isinf(r), 0, got[name])
    f16 = any(r.dtype == np.float16 for r in ref.values())
    harness.assert_close(ref, got, tol=F16_TOL if f16 else harness.FLOAT_TOL, context=f"[{case}] ")
    return harness.inspect_json(tfl)


# --------------------------------------------------------------------------- Attention

B, H, S, D = 2, 4, 5, 8


def _bool_mask_with_empty_row(sq, t):
    m = _rng.random((sq, t)) > 0.4
    m[:, 0] = True
    m[1, :] = False  # query 1 may attend nothing: its output row is 0, not NaN
    return m


def _float_mask(shape, t_masked=1):
    m = (_rng.standard_normal(shape) * 0.5).astype(np.float32)
    m[..., -t_masked:] = -np.inf
    return m


# id: (attrs, inputs [Q, K, V, attn_mask, past_key, past_value, nonpad_kv_seqlen], opset, outputs, constants)
ATTENTION = {
    "mha_4d": ({}, [("Q", _f(B, H, S, D)), ("K", _f(B, H, 7, D)), ("V", _f(B, H, 7, 6))], 23, ["Y"], ()),
    "mha_3d_heads": (dict(q_num_heads=4, kv_num_heads=4),
                     [("Q", _f(B, S, 32)), ("K", _f(B, S, 32)), ("V", _f(B, S, 24))], 23, ["Y"], ()),
    "gqa_3d_causal": (dict(q_num_heads=6, kv_num_heads=2, is_causal=1),
                      [("Q", _f(B, S, 48)), ("K", _f(B, S, 16)), ("V", _f(B, S, 16))], 23, ["Y"], ()),
    "mqa_4d_scale_softcap": (dict(scale=0.3, softcap=2.0),
                             [("Q", _f(B, 6, S, D)), ("K", _f(B, 1, 7, D)), ("V", _f(B, 1, 7, D))], 23, ["Y"], ()),
    "bool_mask_fully_masked_row": ({}, [("Q", _f(1, 2, 4, D)), ("K", _f(1, 2, 6, D)), ("V", _f(1, 2, 6, D)),
                                        ("mask", _bool_mask_with_empty_row(4, 6))], 23, ["Y"], ()),
    "bool_mask_fully_masked_row_constant": ({}, [("Q", _f(1, 2, 4, D)), ("K", _f(1, 2, 6, D)), ("V", _f(1, 2, 6, D)),
                                                 ("mask", _bool_mask_with_empty_row(4, 6))], 23, ["Y"], ("mask",)),
    "bool_mask_and_causal": (dict(is_causal=1), [("Q", _f(1, 2, 4, D)), ("K", _f(1, 2, 4, D)), ("V", _f(1, 2, 4, D)),
                                                 ("mask", _bool_mask_with_empty_row(4, 4))], 23, ["Y"], ()),
    "float_mask_constant_broadcast": ({}, [("Q", _f(B, H, S, D)), ("K", _f(B, H, 6, D)), ("V", _f(B, H, 6, D)),
                                           ("mask", _float_mask((1, 1, S, 6)))], 23, ["Y"], ("mask",)),
    "float_mask_heads_3d": ({}, [("Q", _f(B, H, S, D)), ("K", _f(B, H, 6, D)), ("V", _f(B, H, 6, D)),
                                 ("mask", _float_mask((H, S, 6)))], 23, ["Y"], ()),
    "nonpad_kv_seqlen_causal": (dict(is_causal=1), [("Q", _f(B, H, 3, D)), ("K", _f(B, 2, 8, D)),
                                                    ("V", _f(B, 2, 8, D)), None, None, None,
                                                    ("nonpad", np.array([8, 5], np.int64))], 24, ["Y"], ()),
    "nonpad_kv_seqlen_bool_mask": ({}, [("Q", _f(B, H, 3, D)), ("K", _f(B, H, 8, D)), ("V", _f(B, H, 8, D)),
                                        ("mask", _rng.random((3, 8)) > 0.3), None, None,
                                        ("nonpad", np.array([6, 2], np.int64))], 24, ["Y"], ()),
    "past_causal_3d": (dict(q_num_heads=4, kv_num_heads=2, is_causal=1),
                       [("Q", _f(B, 3, 32)), ("K", _f(B, 3, 16)), ("V", _f(B, 3, 12)), None,
                        ("past_key", _f(B, 2, 4, D)), ("past_value", _f(B, 2, 4, 6))],
                       23, ["Y", "present_key", "present_value"], ()),
    "window_with_past": (dict(left_window_size=2, right_window_size=0),
                         [("Q", _f(B, H, 3, D)), ("K", _f(B, H, 3, D)), ("V", _f(B, H, 3, D)), None,
                          ("past_key", _f(B, H, 4, D)), ("past_value", _f(B, H, 4, D))], 25, ["Y"], ()),
    "bidirectional_window": (dict(left_window_size=1, right_window_size=2),
                             [("Q", _f(B, H, 6, D)), ("K", _f(B, H, 6, D)), ("V", _f(B, H, 6, D))], 25, ["Y"], ()),
    "float16": (dict(is_causal=1), [("Q", _f(B, H, S, D, dtype=np.float16)), ("K", _f(B, H, S, D, dtype=np.float16)),
                                    ("V", _f(B, H, S, D, dtype=np.float16))], 23, ["Y"], ()),
}
# Mode 2 (scores + bias) without is_causal: onnxruntime 1.32 leaves the causal -inf out of
# that output, the ONNX reference and spec put it in (the lowering follows the spec and
# passes test_attention_4d_with_past_and_present_qk_matmul_bias_3d_mask_causal).
for _mode in range(4):
    ATTENTION[f"qk_matmul_output_mode{_mode}"] = (
        dict(qk_matmul_output_mode=_mode, softcap=3.0, is_causal=int(_mode != 2)),
        [("Q", _f(B, H, 3, D)), ("K", _f(B, 2, 3, D)), ("V", _f(B, 2, 3, D)), ("mask", _float_mask((3, 7))),
         ("past_key", _f(B, 2, 4, D)), ("past_value", _f(B, 2, 4, D))],
        23, ["Y", "present_key", "present_value", "qk"], ())


@pytest.mark.parametrize("case", list(ATTENTION))
def test_attention_matches_onnxruntime(case, tmp_path):
    attrs, inputs, opset, outputs, consts = ATTENTION[case]
    model, feeds = _model("Attention", attrs, inputs, opset, outputs, consts)
    info = _check(tmp_path, model, feeds, case)
    # 4-D attention needs no layout change; 3-D splits and merges heads (two transposes per
    # input, one on the output) — of which Q·Kᵀ's adj_y flag saves none, so count them.
    three_d = inputs[0][1].ndim == 3
    assert info["transposes"] == (4 if three_d else 0), harness.op_summary(info)


def test_attention_causal_mask_is_a_constant_bias(tmp_path):
    """is_causal (with a KV past: bottom-right aligned) needs no run-time mask work: one ADD of
    a constant bias between the two BATCH_MATMULs, no row guard (no row is fully masked)."""
    inputs = [("Q", _f(B, H, 3, D)), ("K", _f(B, H, 3, D)), ("V", _f(B, H, 3, D)), None,
              ("past_key", _f(B, H, 2, D)), ("past_value", _f(B, H, 2, D))]
    model, feeds = _model("Attention", dict(is_causal=1), inputs, 23, ["Y", "present_key", "present_value"])
    info = _check(tmp_path, model, feeds, "causal_past")
    assert info["ops"] == {"BATCH_MATMUL": 2, "CONCATENATION": 2, "MUL": 1, "ADD": 1, "SOFTMAX": 1}, \
        harness.op_summary(info)


def test_attention_3d_mask_and_softcap_runtime_vs_constant_agree(tmp_path):
    """A constant causal mask folds to a constant bias; the same mask fed at run time takes
    the SELECT_V2 path: both must give onnxruntime's numbers."""
    sq = 4
    allowed = np.tril(np.ones((sq, sq), bool))
    for consts in ((), ("mask",)):
        inputs = [("Q", _f(1, 2, sq, D)), ("K", _f(1, 2, sq, D)), ("V", _f(1, 2, sq, D)), ("mask", allowed)]
        model, feeds = _model("Attention", dict(softcap=1.5), inputs, 23, ["Y"], consts)
        _check(tmp_path, model, feeds, f"tril_{'const' if consts else 'runtime'}")


@pytest.mark.parametrize("dtype", [np.float32, np.bool_])
def test_attention_mask_shorter_than_keys(dtype, tmp_path):
    """Opset 24 lets attn_mask cover fewer keys than K has, the rest masked; onnxruntime
    refuses such a mask, so the reference is onnxruntime with the mask padded by hand."""
    mask = _float_mask((B, 1, S, 5)) if dtype == np.float32 else _rng.random((B, 1, S, 5)) > 0.3
    pad = np.full((B, 1, S, 2), -np.inf if dtype == np.float32 else False, dtype)
    qkv = [("Q", _f(B, H, S, D)), ("K", _f(B, H, 7, D)), ("V", _f(B, H, 7, D))]
    twin, twin_feeds = _model("Attention", {}, [*qkv, ("mask", np.concatenate([mask, pad], -1))], 24, ["Y"])
    twin_path = tmp_path / "twin.onnx"
    onnx.save(twin, str(twin_path))
    ref = harness.run_onnxruntime(twin_path, twin_feeds)
    model, feeds = _model("Attention", {}, [*qkv, ("mask", mask)], 24, ["Y"])
    _check(tmp_path, model, feeds, "short_mask", ref=ref)


def test_attention_refuses_bfloat16_naming_the_input(tmp_path):
    vi = [helper.make_tensor_value_info(n, TensorProto.BFLOAT16, [1, 2, 3, 4]) for n in "QKV"]
    node = helper.make_node("Attention", ["Q", "K", "V"], ["Y"], name="attn")
    graph = helper.make_graph([node], "g", vi, [helper.make_tensor_value_info("Y", TensorProto.BFLOAT16, None)])
    path = tmp_path / "bf16.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)]), str(path))
    p = harness.run_cli("convert", path, "-o", tmp_path / "m.tflite")
    assert p.returncode == 1 and "BFLOAT16" in p.stderr, p.stderr
    assert not (tmp_path / "m.tflite").exists()


# --------------------------------------------------------------------------- RotaryEmbedding


def _caches(rows, half, *lead):
    angle = _rng.uniform(0, 6.3, (*lead, rows, half)).astype(np.float32)
    return np.cos(angle), np.sin(angle)


def _positions(b, s, limit):
    return _rng.integers(0, limit, (b, s)).astype(np.int64)


ROTARY = {}
for _inter in (0, 1):
    c, s_ = _caches(16, 4)
    ROTARY[f"4d_positions_interleaved{_inter}"] = (
        dict(interleaved=_inter), [("X", _f(B, H, S, D)), ("cos", c), ("sin", s_), ("pos", _positions(B, S, 16))], ())
    c, s_ = _caches(16, 2)
    ROTARY[f"4d_partial_dim_interleaved{_inter}"] = (
        dict(interleaved=_inter, rotary_embedding_dim=4),
        [("X", _f(B, H, S, D)), ("cos", c), ("sin", s_), ("pos", _positions(B, S, 16))], ())
    c, s_ = _caches(S, 3, B)
    ROTARY[f"3d_no_positions_partial_interleaved{_inter}"] = (
        dict(interleaved=_inter, num_heads=4, rotary_embedding_dim=6), [("X", _f(B, S, 32)), ("cos", c), ("sin", s_)],
        ())
c, s_ = _caches(32, 4)
ROTARY["3d_constant_caches"] = (dict(num_heads=2), [("X", _f(B, S, 16)), ("cos", c), ("sin", s_),
                                                    ("pos", _positions(B, S, 32))], ("cos", "sin"))
c, s_ = _caches(32, 4)
ROTARY["4d_constant_caches_and_positions"] = ({}, [("X", _f(B, H, S, D)), ("cos", c), ("sin", s_),
                                                   ("pos", _positions(B, S, 32))], ("cos", "sin", "pos"))
c, s_ = _caches(32, 4)
ROTARY["float16"] = ({}, [("X", _f(B, H, S, D, dtype=np.float16)), ("cos", c.astype(np.float16)),
                          ("sin", s_.astype(np.float16)), ("pos", _positions(B, S, 32))], ())


@pytest.mark.parametrize("case", list(ROTARY))
def test_rotary_embedding_matches_onnxruntime(case, tmp_path):
    attrs, inputs, consts = ROTARY[case]
    model, feeds = _model("RotaryEmbedding", attrs, inputs, 23, ["Y"], consts)
    info = _check(tmp_path, model, feeds, case)
    assert info["transposes"] == 0, harness.op_summary(info)


# --------------------------------------------------------------------------- TensorScatter

TENSOR_SCATTER = {
    "linear_kv_cache": (dict(), [("cache", _f(B, H, 10, D)), ("update", _f(B, H, 3, D)),
                                 ("w", np.array([0, 6], np.int64))]),
    "circular_wraps": (dict(mode="circular"), [("cache", _f(B, H, 6, D)), ("update", _f(B, H, 4, D)),
                                               ("w", np.array([4, 7], np.int64))]),
    "axis1_3d": (dict(axis=1), [("cache", _f(3, 8, 5)), ("update", _f(3, 2, 5)), ("w", np.array([1, 6, 3], np.int64))]),
    "axis_minus3_5d": (dict(axis=-3), [("cache", _f(B, 2, 6, 3, 4)), ("update", _f(B, 2, 1, 3, 4)),
                                       ("w", np.array([5, 2], np.int64))]),
    "no_write_indices": (dict(), [("cache", _f(B, H, 6, D)), ("update", _f(B, H, 2, D))]),
    "int64_cache": (dict(mode="circular"), [("cache", _rng.integers(-9, 9, (B, 5, 3)).astype(np.int64)),
                                            ("update", _rng.integers(-9, 9, (B, 3, 3)).astype(np.int64)),
                                            ("w", np.array([3, 1], np.int64))]),
    "float16": (dict(), [("cache", _f(B, H, 6, D, dtype=np.float16)), ("update", _f(B, H, 2, D, dtype=np.float16)),
                         ("w", np.array([4, 1], np.int64))]),
}


@pytest.mark.parametrize("case", list(TENSOR_SCATTER))
def test_tensor_scatter_matches_onnxruntime(case, tmp_path):
    attrs, inputs = TENSOR_SCATTER[case]
    model, feeds = _model("TensorScatter", attrs, inputs, 24, ["present"])
    _check(tmp_path, model, feeds, case)


# --------------------------------------------------------------------------- SwiGLU


@pytest.mark.parametrize("alpha,dtype", [(None, np.float32), (1.702, np.float32), (0.5, np.float16)])
def test_swiglu_matches_onnxruntime(alpha, dtype, tmp_path):
    """onnxruntime has no SwiGLU kernel (its function body needs Swish-24, which it lacks):
    the reference is onnxruntime on the same formula in opset-13 ops, A·Sigmoid(alpha·A)·B."""
    a, b = _f(3, 4, 10, dtype=dtype), _f(3, 4, 10, dtype=dtype)
    attrs = {} if alpha is None else {"alpha": alpha}
    model, feeds = _model("SwiGLU", attrs, [("A", a), ("B", b)], 28, ["Y"])
    t = _TYPES[np.dtype(dtype).type]
    twin = helper.make_graph(
        [helper.make_node("Constant", [], ["alpha"], value=numpy_helper.from_array(np.array(alpha or 1.0, dtype))),
         helper.make_node("Mul", ["A", "alpha"], ["scaled"]), helper.make_node("Sigmoid", ["scaled"], ["gate"]),
         helper.make_node("Mul", ["A", "gate"], ["swish"]), helper.make_node("Mul", ["swish", "B"], ["Y"])],
        "twin", [helper.make_tensor_value_info(n, t, [3, 4, 10]) for n in "AB"],
        [helper.make_tensor_value_info("Y", t, [3, 4, 10])])
    twin_path = tmp_path / "twin.onnx"
    onnx.save(helper.make_model(twin, opset_imports=[helper.make_opsetid("", 13)]), str(twin_path))
    _check(tmp_path, model, feeds, "swiglu", ref=harness.run_onnxruntime(twin_path, feeds))


# --------------------------------------------------------------------------- torch

def _sdpa_models():
    import torch
    import torch.nn.functional as F

    class Sdpa(torch.nn.Module):
        def __init__(self, **kw):
            super().__init__()
            self.kw = kw

        def forward(self, q, k, v, *mask):
            return F.scaled_dot_product_attention(q, k, v, *mask, **self.kw)

    class SelfAttention(torch.nn.Module):  # nn.MultiheadAttention's projections around SDPA, 3-D in and out
        def __init__(self):
            super().__init__()
            self.qkv, self.out = torch.nn.Linear(32, 96), torch.nn.Linear(32, 32)

        def forward(self, x):
            q, k, v = (t.unflatten(-1, (4, 8)).transpose(1, 2) for t in self.qkv(x).chunk(3, -1))
            return self.out(F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).flatten(2))

    q, kv = (2, 4, 5, 8), (2, 4, 7, 8)
    return {
        "causal": (Sdpa(is_causal=True), [q, q, q]),
        "bool_mask": (Sdpa(), [q, kv, kv, (5, 7)]),
        "float_mask": (Sdpa(), [q, kv, kv, (2, 1, 5, 7)]),
        "gqa_scale": (Sdpa(enable_gqa=True, scale=0.2), [q, (2, 2, 7, 8), (2, 2, 7, 8)]),
        "self_attention_block": (SelfAttention(), [(2, 6, 32)]),
    }


@pytest.mark.parametrize("case", ["causal", "bool_mask", "float_mask", "gqa_scale", "self_attention_block"])
def test_torch_sdpa_dynamo_opset23(case, tmp_path):
    """torch.onnx.export(dynamo=True, opset_version=23) writes scaled_dot_product_attention
    as one ONNX Attention node (torch 2.13; opset 18 gives MatMul/Softmax instead)."""
    import torch

    model, shapes = _sdpa_models()[case]
    args = [torch.rand(s) > 0.3 if case == "bool_mask" and len(s) == 2 else torch.randn(s) for s in shapes]
    path = harness.export_onnx(model.eval(), tuple(args), tmp_path / "sdpa.onnx", "dynamo", opset=23)
    exported = onnx.load(str(path))
    assert "Attention" in [n.op_type for n in exported.graph.node], [n.op_type for n in exported.graph.node]
    feeds = {i.name: a.numpy() for i, a in zip(exported.graph.input, args)}
    _check(tmp_path, exported, feeds, case)


# --------------------------------------------------------------------------- CausalConvWithState

# id: (attrs, inputs [input, weight, bias, past_state], constants)
_C, _K = 6, 4
CAUSAL_CONV = {
    "constant_weights_bias_past_silu": (dict(activation="silu"),
                                        [("x", _f(B, _C, 9)), ("w", _f(_C, 1, _K)), ("b", _f(_C)),
                                         ("past", _f(B, _C, _K - 1))], ("w", "b")),
    "constant_weights_run_time_bias": ({}, [("x", _f(B, _C, 9)), ("w", _f(_C, 1, _K)), ("b", _f(_C))], ("w",)),
    "constant_weights_decode_step": ({}, [("x", _f(B, _C, 1)), ("w", _f(_C, 1, _K)), None,
                                          ("past", _f(B, _C, _K - 1))], ("w",)),
    "run_time_weights_short_input": (dict(activation="swish"), [("x", _f(B, _C, 2)), ("w", _f(_C, 1, _K))], ()),
    "run_time_weights_bias_past": ({}, [("x", _f(B, _C, 7)), ("w", _f(_C, 1, _K)), ("b", _f(_C)),
                                        ("past", _f(B, _C, _K - 1))], ()),
    "float16_constant_weights": (dict(activation="silu"), [("x", _f(B, _C, 9, dtype=np.float16)),
                                                           ("w", _f(_C, 1, _K, dtype=np.float16))], ("w",)),
}


@pytest.mark.parametrize("case", list(CAUSAL_CONV))
def test_causal_conv_with_state_matches_onnxruntime(case, tmp_path):
    attrs, inputs, consts = CAUSAL_CONV[case]
    model, feeds = _model("CausalConvWithState", attrs, inputs, 27, ["y", "present_state"], consts)
    info = _check(tmp_path, model, feeds, case)
    # DEPTHWISE_CONV_2D for constant weights (channels-last between a transpose pair that a
    # neighbouring op would cancel; here the graph is the op alone), shifted MULs otherwise.
    assert info["ops"].get("DEPTHWISE_CONV_2D", 0) == (1 if "w" in consts else 0), harness.op_summary(info)
    assert info["transposes"] <= (2 if "w" in consts else 0), harness.op_summary(info)


# --------------------------------------------------------------------------- LinearAttention


def _linear_attention_inputs(rule, *, t=6, hq=4, hkv=2, dk=8, dv=6, past=False, per_head_decay=False,
                             scalar_beta=False, dtype=np.float32):
    k = _rng.standard_normal((B, t, hkv, dk))
    k /= np.linalg.norm(k, axis=-1, keepdims=True)  # delta rules expect L2-normalised keys
    inputs = [("query", _f(B, t, hq * dk, dtype=dtype)), ("key", k.reshape(B, t, hkv * dk).astype(dtype)),
              ("value", _f(B, t, hkv * dv, dtype=dtype)),
              ("past_state", (_f(B, hkv, dk, dv) * 0.3).astype(dtype)) if past else None, None, None]
    if rule in ("gated", "gated_delta"):  # log-space decay, ≤ 0
        inputs[4] = ("decay", (-_rng.random((B, t, hkv if per_head_decay else hkv * dk)) * 0.5).astype(dtype))
    if rule in ("delta", "gated_delta"):
        inputs[5] = ("beta", _rng.random((B, t, 1 if scalar_beta else hkv)).astype(dtype))
    return inputs


LINEAR_ATTENTION = {
    "linear_with_past": ("linear", {}, dict(past=True)),
    "gated_per_key_decay": ("gated", {}, dict()),
    "gated_per_head_decay_past": ("gated", {}, dict(per_head_decay=True, past=True)),
    "delta": ("delta", {"scale": 0.5}, dict(past=True)),
    "gated_delta_gqa_scalar_beta": ("gated_delta", {}, dict(scalar_beta=True, past=True)),
    "gated_delta_decode_step": ("gated_delta", {}, dict(t=1, past=True, hq=2, hkv=2)),
    "gated_delta_long_prefill": ("gated_delta", {}, dict(t=24)),
    "float16": ("gated_delta", {}, dict(past=True, dtype=np.float16)),
}


@pytest.mark.parametrize("case", list(LINEAR_ATTENTION))
def test_linear_attention_matches_onnxruntime(case, tmp_path):
    rule, attrs, kw = LINEAR_ATTENTION[case]
    inputs = _linear_attention_inputs(rule, **kw)
    heads = dict(q_num_heads=kw.get("hq", 4), kv_num_heads=kw.get("hkv", 2))
    model, feeds = _model("LinearAttention", dict(update_rule=rule, **heads, **attrs), inputs, 27,
                          ["output", "present_state"])
    info = _check(tmp_path, model, feeds, case)
    assert info["transposes"] == 0, harness.op_summary(info)


# --------------------------------------------------------------------------- int8


def test_int8_causal_attention_keeps_the_masked_softmax_float(tmp_path):
    """Causal scores hold −inf, which no integer grid holds: clamped to its low end, masked keys
    got weight (0.6–1.0 relative error). The softmax and the op that masked its input stay float
    under --allow-float-fallback, and are named without it."""
    rng = np.random.default_rng(7)  # its own stream: the result must not depend on test order
    q, k, v = (rng.standard_normal((1, 2, 8, 16)).astype(np.float32) for _ in range(3))
    model, feeds = _model("Attention", {"is_causal": 1}, [("q", q), ("k", k), ("v", v)], 23, ["y"])
    path = tmp_path / "causal.onnx"
    onnx.save(model, str(path))
    # The checked input is among the 16 calibration samples (representative data covers it).
    np.savez(tmp_path / "calib.npz", **{name: np.concatenate([a[None], rng.standard_normal((15, *a.shape))]).astype(
        np.float32) for name, a in feeds.items()})
    q8 = ["--quantize", "int8", "--calibration", str(tmp_path / "calib.npz")]
    strict = harness.run_cli("convert", path, "-o", tmp_path / "strict.tflite", *q8)
    assert strict.returncode == 1 and "SOFTMAX" in strict.stderr and "masked" in strict.stderr, strict.stderr

    tfl = harness.convert(path, tmp_path / "int8.tflite", extra=[*q8, "--allow-float-fallback"])
    ref = harness.run_onnxruntime(path, feeds)["y"]
    got = harness.run_litert(tfl, feeds, ["y"]).outputs["y"]
    err, scale = harness.max_rel_error(ref, got)
    # int8 scores and values: measured 1.2-1.9 % of max|ref| over seeds (unmasked attention:
    # 1.5-3.5 %), against 60-100 % when the clamped mask gave masked keys weight.
    assert err <= 0.05 * scale, f"max abs error {err:.3g} vs max|ref| {scale:.3g}"
