"""One tiny torch model per ONNX op / attribute case, for test_ops.py and the op inventory.

A Case says how to build the model (seeded), its input shapes, and how many TRANSPOSE ops
may survive conversion:
  nchw_transposes  with default (NCHW) io; None = one per rank 3-5 input/output (the borders)
  nhwc_transposes  with --nhwc-io; default 0. A case that sets more says why: the op itself
                   needs a layout the --nhwc-io borders do not give (e.g. softmax over W).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

import harness
from models import randomize_batchnorm

IMG = (1, 8, 16, 16)
VID = (1, 4, 6, 10, 10)      # [N, C, D, H, W]: a short clip / a small volume
VID_B2 = (2, 4, 6, 10, 9)
RUNTIME_INDEX_WHY = ("run-time indices: the GATHER_ND/SCATTER_ND coordinates are built in the ONNX (NCHW) "
                     "order, so the data is transposed to it (and a scatter's result back)")
RUNTIME_FILTER_WHY = ("weights computed at run time: one TRANSPOSE moves them from ONNX's OIHW to TFLite's "
                      "OHWI filter layout (plus the NCHW borders)")
MATMUL_NHWC_WHY = "--nhwc-io permutes both operands and the result of a batched matmul"


class Fn(nn.Module):
    """forward(*xs) = fn(self, *xs); submodules and buffers given by keyword."""

    def __init__(self, fn: Callable, **parts):
        super().__init__()
        self._fn = fn
        for name, p in parts.items():
            if isinstance(p, nn.Module):
                self.add_module(name, p)
            else:
                self.register_buffer(name, p)

    def forward(self, *xs):
        return self._fn(self, *xs)


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[], nn.Module]
    shapes: tuple = (IMG,)
    kind: str | tuple = "normal"               # "normal" or "positive" per input (see harness.random_inputs)
    tol: float = harness.FLOAT_TOL
    nchw_transposes: int | None = None
    nhwc_transposes: int = 0
    transposes_why: str = ""
    exporters: tuple = harness.EXPORTERS
    xfail: dict = field(default_factory=dict)  # exporter -> reason (strict xfail)

    def build(self) -> nn.Module:
        torch.manual_seed(0)
        m = self.make()
        if any(isinstance(x, nn.modules.batchnorm._BatchNorm) for x in m.modules()):
            randomize_batchnorm(m, self.shapes[0], seed=0)
        return m.eval()


def fn(f, **parts) -> Callable[[], nn.Module]:
    return lambda: Fn(f, **parts)


def mod(factory) -> Callable[[], nn.Module]:
    return factory


def prelu(n: int) -> nn.PReLU:
    p = nn.PReLU(n)
    with torch.no_grad():
        p.weight.copy_(torch.rand(n) * 0.5)  # distinct slope per channel
    return p


# The third exporter variant for BatchNorm cases: both real exporters fold BatchNorm into a
# preceding Conv, only the unfolded TorchScript export leaves the folding to the converter.
BN_EXPORTERS = (*harness.EXPORTERS, "torchscript_nofold")

SEQ_WHY = "sequences are not channels-first; batch_first adds torch's own two transposes"

CASES: list[Case] = [
    # ---------------------------------------------------------------- Conv 1-D
    Case("conv1d", mod(lambda: nn.Conv1d(8, 16, 3)), shapes=((1, 8, 32),)),
    Case("conv1d_stride2_pad1_dilation2", mod(lambda: nn.Conv1d(8, 16, 3, stride=2, padding=1, dilation=2)),
         shapes=((1, 8, 32),)),
    Case("conv1d_depthwise", mod(lambda: nn.Conv1d(8, 8, 3, padding=1, groups=8)), shapes=((1, 8, 32),)),
    Case("conv1d_nobias_groups2", mod(lambda: nn.Conv1d(8, 4, 5, padding=2, groups=2, bias=False)),
         shapes=((1, 8, 32),)),
    # ---------------------------------------------------------------- Conv 2-D
    Case("conv2d_k3_pad0", mod(lambda: nn.Conv2d(8, 16, 3))),
    Case("conv2d_k3_pad1", mod(lambda: nn.Conv2d(8, 16, 3, padding=1))),
    Case("conv2d_k3_pad1_nobias", mod(lambda: nn.Conv2d(8, 16, 3, padding=1, bias=False))),
    Case("conv2d_k1", mod(lambda: nn.Conv2d(8, 16, 1))),
    Case("conv2d_stride2_pad1", mod(lambda: nn.Conv2d(8, 16, 3, stride=2, padding=1))),
    Case("conv2d_stride2_pad0_k2", mod(lambda: nn.Conv2d(8, 16, 2, stride=2))),
    Case("conv2d_dilation2", mod(lambda: nn.Conv2d(8, 16, 3, dilation=2, padding=2))),
    Case("conv2d_kernel3x5_stride2x1_pad1x2", mod(lambda: nn.Conv2d(8, 16, (3, 5), stride=(2, 1), padding=(1, 2)))),
    Case("conv2d_depthwise", mod(lambda: nn.Conv2d(8, 8, 3, padding=1, groups=8))),
    Case("conv2d_depthwise_stride2_nobias", mod(lambda: nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8, bias=False))),
    Case("conv2d_depthwise_multiplier2", mod(lambda: nn.Conv2d(8, 16, 3, padding=1, groups=8))),
    Case("conv2d_groups2", mod(lambda: nn.Conv2d(8, 16, 3, padding=1, groups=2))),
    Case("conv2d_groups4_k1_nobias", mod(lambda: nn.Conv2d(8, 8, 1, groups=4, bias=False))),
    # torch padding="same" with an even kernel pads 1 before, 2 after: TorchScript writes
    # auto_pad=SAME_UPPER, dynamo writes explicit asymmetric pads [1, 1, 2, 2].
    Case("conv2d_same_even_kernel_asymmetric", mod(lambda: nn.Conv2d(8, 16, 4, padding="same"))),
    Case("conv2d_after_asymmetric_pad", fn(lambda m, x: m.c(F.pad(x, (0, 1, 0, 1))),
                                          c=nn.Conv2d(8, 16, 3, stride=2))),
    # ---------------------------------------------------------------- Conv with run-time weights
    # Weights computed by the model (a Siamese tracker's depthwise cross-correlation, a
    # hypernetwork's filters): TRANSPOSE/SPLIT ops bring them to TFLite's filter layout. That
    # one TRANSPOSE stays unless the weights arrive as a channels-first image (the xcorr case,
    # where it cancels against the template's border transpose).
    Case("conv2d_runtime_depthwise_xcorr", fn(lambda m, x, z: F.conv2d(x, z.reshape(8, 1, 4, 4), groups=8)),
         shapes=(IMG, (1, 8, 4, 4))),
    Case("conv2d_runtime_weights", fn(lambda m, x, z: F.conv2d(x, z.reshape(16, 8, 3, 3), padding=1)),
         shapes=(IMG, (16, 72)), nchw_transposes=3, nhwc_transposes=1, transposes_why=RUNTIME_FILTER_WHY),
    Case("conv2d_runtime_weights_bias_groups2",
         fn(lambda m, x, z: F.conv2d(x, z[:, :36].reshape(16, 4, 3, 3), z[:, 36], padding=1, groups=2)),
         shapes=(IMG, (16, 37)), nchw_transposes=3, nhwc_transposes=1, transposes_why=RUNTIME_FILTER_WHY),
    Case("conv1d_runtime_weights", fn(lambda m, x, z: F.conv1d(x, z.reshape(16, 8, 3), stride=2)),
         shapes=((1, 8, 32), (16, 24)), nchw_transposes=3, nhwc_transposes=1, transposes_why=RUNTIME_FILTER_WHY),
    Case("convtranspose2d_runtime_weights",
         fn(lambda m, x, z: F.conv_transpose2d(x, z.reshape(8, 4, 4, 4), stride=2, padding=1)),
         shapes=(IMG, (8, 64)), nchw_transposes=3, nhwc_transposes=1, transposes_why=RUNTIME_FILTER_WHY),
    Case("convtranspose2d_runtime_weights_dilation2",  # CONV_3D_TRANSPOSE with D = 1: it dilates
         fn(lambda m, x, z: F.conv_transpose2d(x, z.reshape(8, 4, 3, 3), stride=2, padding=1, dilation=2)),
         shapes=(IMG, (8, 36)), nchw_transposes=3, nhwc_transposes=1, transposes_why=RUNTIME_FILTER_WHY),
    # ---------------------------------------------------------------- ConvTranspose 2-D
    Case("convtranspose2d_s2_p1_op1", mod(lambda: nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1))),
    Case("convtranspose2d_s2_k2", mod(lambda: nn.ConvTranspose2d(8, 4, 2, stride=2))),
    Case("convtranspose2d_s1_p1_nobias", mod(lambda: nn.ConvTranspose2d(8, 4, 3, padding=1, bias=False))),
    # ---------------------------------------------------------------- Conv / ConvTranspose 3-D
    # NDHWC CONV_3D / CONV_3D_TRANSPOSE; groups and depthwise run per group (no 3-D depthwise op).
    Case("conv3d_k3_pad1", mod(lambda: nn.Conv3d(4, 8, 3, padding=1)), shapes=(VID,)),
    Case("conv3d_k3_pad0_nobias", mod(lambda: nn.Conv3d(4, 8, 3, bias=False)), shapes=(VID,)),
    Case("conv3d_stride2_pad1", mod(lambda: nn.Conv3d(4, 8, 3, stride=2, padding=1)), shapes=(VID_B2,)),
    Case("conv3d_dilation2", mod(lambda: nn.Conv3d(4, 8, 3, dilation=2, padding=2)), shapes=(VID,)),
    Case("conv3d_k133_s122_p011", mod(lambda: nn.Conv3d(4, 8, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))),
         shapes=(VID,)),
    Case("conv3d_k311_pad_d", mod(lambda: nn.Conv3d(4, 8, (3, 1, 1), padding=(1, 0, 0))), shapes=(VID,)),
    Case("conv3d_k2_stride2_asym", fn(lambda m, x: m.c(F.pad(x, (0, 1, 0, 1, 0, 1))), c=nn.Conv3d(4, 8, 3, stride=2)),
         shapes=(VID,)),
    # Depthwise: one DEPTHWISE_CONV_2D per depth tap on [N·D', H, W, C] slices, summed.
    Case("conv3d_depthwise", mod(lambda: nn.Conv3d(4, 4, 3, padding=1, groups=4)), shapes=(VID,)),
    Case("conv3d_depthwise_multiplier2_stride2", mod(lambda: nn.Conv3d(4, 8, 3, stride=2, padding=1, groups=4)),
         shapes=(VID_B2,)),
    Case("conv3d_depthwise_dilation_212_nobias",
         mod(lambda: nn.Conv3d(4, 4, 3, padding=(2, 1, 2), dilation=(2, 1, 2), groups=4, bias=False)), shapes=(VID,)),
    Case("conv3d_depthwise_k311_s2", mod(lambda: nn.Conv3d(4, 4, (3, 1, 1), stride=(2, 1, 1), groups=4)),
         shapes=(VID,)),
    Case("conv3d_groups2", mod(lambda: nn.Conv3d(4, 8, 3, padding=1, groups=2)), shapes=(VID,)),
    Case("conv3d_relu", fn(lambda m, x: F.relu(m.c(x)), c=nn.Conv3d(4, 8, 3, padding=1)), shapes=(VID,)),
    Case("conv3d_runtime_weights", fn(lambda m, x, z: F.conv3d(x, z.reshape(8, 4, 3, 3, 3), padding=1)),
         shapes=(VID, (8, 108)), nchw_transposes=3, nhwc_transposes=1, transposes_why=RUNTIME_FILTER_WHY),
    Case("convtranspose3d_runtime_weights_dilation2",
         fn(lambda m, x, z: F.conv_transpose3d(x, z.reshape(4, 4, 2, 2, 2), stride=2, dilation=2)),
         shapes=(VID, (4, 32)), nchw_transposes=3, nhwc_transposes=1, transposes_why=RUNTIME_FILTER_WHY),
    Case("convtranspose3d_s2_p1_op1", mod(lambda: nn.ConvTranspose3d(4, 4, 3, stride=2, padding=1, output_padding=1)),
         shapes=(VID,)),
    Case("convtranspose3d_s2_k2", mod(lambda: nn.ConvTranspose3d(4, 4, 2, stride=2)), shapes=(VID_B2,)),
    Case("convtranspose3d_s1_p1_nobias", mod(lambda: nn.ConvTranspose3d(4, 6, 3, padding=1, bias=False)), shapes=(VID,)),
    Case("convtranspose3d_dilation2_groups2",
         mod(lambda: nn.ConvTranspose3d(4, 6, 3, stride=(1, 2, 2), dilation=2, padding=1, groups=2)), shapes=(VID,)),
    # ---------------------------------------------------------------- pooling 3-D
    # A 2-D pool over (H, W) of [N·D, H, W, C], then over D with a (kD, 1) window.
    Case("maxpool3d_k2", mod(lambda: nn.MaxPool3d(2)), shapes=(VID_B2,)),
    Case("maxpool3d_k3_s2_p1", mod(lambda: nn.MaxPool3d(3, 2, padding=1)), shapes=(VID,)),
    Case("maxpool3d_k3_s2_ceil", mod(lambda: nn.MaxPool3d(3, 2, ceil_mode=True)), shapes=(VID,)),
    Case("maxpool3d_k133_s122_p011", mod(lambda: nn.MaxPool3d((1, 3, 3), (1, 2, 2), padding=(0, 1, 1))), shapes=(VID,)),
    Case("maxpool3d_k311_s211", mod(lambda: nn.MaxPool3d((3, 1, 1), (2, 1, 1))), shapes=(VID,)),
    Case("avgpool3d_k2", mod(lambda: nn.AvgPool3d(2)), shapes=(VID_B2,)),
    Case("avgpool3d_k3_s2_p1_include_pad", mod(lambda: nn.AvgPool3d(3, 2, padding=1, count_include_pad=True)),
         shapes=(VID,)),
    Case("avgpool3d_k3_s2_p1_exclude_pad", mod(lambda: nn.AvgPool3d(3, 2, padding=1, count_include_pad=False)),
         shapes=(VID,)),
    Case("avgpool3d_k3_s2_ceil", mod(lambda: nn.AvgPool3d(3, 2, ceil_mode=True)), shapes=(VID,)),
    Case("avgpool3d_k223_s1_p011_exclude_pad",
         mod(lambda: nn.AvgPool3d((2, 2, 3), 1, padding=(0, 1, 1), count_include_pad=False)), shapes=(VID,)),
    # Dilated pools: per axis, one STRIDED_SLICE per tap joined by MAXIMUM (torch has no
    # dilated average pool; the ONNX node tests cover AveragePool's).
    Case("maxpool3d_k2_dilation2", mod(lambda: nn.MaxPool3d(2, dilation=2)), shapes=(VID_B2,)),
    Case("maxpool3d_k3_s2_p1_dilation_122_ceil",
         mod(lambda: nn.MaxPool3d(3, 2, padding=1, dilation=(1, 2, 2), ceil_mode=True)), shapes=(VID,)),
    Case("maxpool2d_k3_p1_dilation2", mod(lambda: nn.MaxPool2d(3, 1, padding=1, dilation=2))),
    Case("maxpool1d_k3_s2_dilation3", mod(lambda: nn.MaxPool1d(3, 2, dilation=3)), shapes=((1, 8, 32),)),
    Case("adaptive_avgpool3d_1", mod(lambda: nn.AdaptiveAvgPool3d(1)), shapes=(VID,)),
    Case("adaptive_maxpool3d_1", mod(lambda: nn.AdaptiveMaxPool3d(1)), shapes=(VID,)),
    # ---------------------------------------------------------------- Linear / MatMul
    Case("linear_2d", mod(lambda: nn.Linear(32, 10)), shapes=((4, 32),)),
    Case("linear_2d_nobias", mod(lambda: nn.Linear(32, 10, bias=False)), shapes=((4, 32),)),
    Case("linear_3d", mod(lambda: nn.Linear(32, 10)), shapes=((2, 5, 32),),
         nhwc_transposes=2, transposes_why="--nhwc-io hands in [2,32,5]; the Linear is over the 32"),
    Case("matmul_batched_two_inputs", fn(lambda m, a, b: torch.matmul(a, b)), shapes=((2, 3, 4, 5), (2, 3, 5, 6)),
         nhwc_transposes=3, transposes_why="--nhwc-io permutes both operands and the result of a 4-D matmul"),
    # ---------------------------------------------------------------- pooling
    Case("maxpool_k2", mod(lambda: nn.MaxPool2d(2))),
    Case("maxpool_k3_s2_p1", mod(lambda: nn.MaxPool2d(3, 2, padding=1))),
    Case("maxpool_k3_s2_ceil", mod(lambda: nn.MaxPool2d(3, 2, ceil_mode=True))),
    # Dilation and return_indices have no TFLite pool: one strided slice per kernel tap.
    Case("maxpool_k3_dilation2_p1", mod(lambda: nn.MaxPool2d(3, 1, padding=1, dilation=2))),
    Case("maxpool_k3_s2_dilation2_ceil", mod(lambda: nn.MaxPool2d(3, 2, dilation=2, ceil_mode=True))),
    Case("maxpool_k2_return_indices", mod(lambda: nn.MaxPool2d(2, return_indices=True)), kind="ties"),
    Case("maxpool_k3_s2_p1_return_indices", mod(lambda: nn.MaxPool2d(3, 2, padding=1, return_indices=True))),
    Case("maxpool1d_k3_s2_return_indices", mod(lambda: nn.MaxPool1d(3, 2, return_indices=True)), shapes=((1, 8, 32),)),
    Case("avgpool_k2", mod(lambda: nn.AvgPool2d(2))),
    Case("avgpool_k3_s2_p1_include_pad", mod(lambda: nn.AvgPool2d(3, 2, padding=1, count_include_pad=True))),
    Case("avgpool_k3_s2_p1_exclude_pad", mod(lambda: nn.AvgPool2d(3, 2, padding=1, count_include_pad=False))),
    Case("avgpool_k3_s2_ceil", mod(lambda: nn.AvgPool2d(3, 2, ceil_mode=True))),
    Case("adaptive_avgpool_1", mod(lambda: nn.AdaptiveAvgPool2d(1))),
    Case("adaptive_maxpool_1", mod(lambda: nn.AdaptiveMaxPool2d(1))),
    Case("global_max_amax_hw", fn(lambda m, x: torch.amax(x, dim=(2, 3), keepdim=True))),
    # ---------------------------------------------------------------- activations
    Case("relu", mod(lambda: nn.ReLU())),
    Case("relu6", mod(lambda: nn.ReLU6())),
    Case("hardtanh_m1_1", mod(lambda: nn.Hardtanh(-1.0, 1.0))),
    Case("clamp_m0.5_2", fn(lambda m, x: torch.clamp(x, min=-0.5, max=2.0))),
    Case("clamp_min_only", fn(lambda m, x: torch.clamp(x, min=0.1))),
    Case("conv_relu", fn(lambda m, x: F.relu(m.c(x)), c=nn.Conv2d(8, 16, 3, padding=1))),
    Case("conv_relu6", fn(lambda m, x: F.relu6(m.c(x)), c=nn.Conv2d(8, 16, 3, padding=1))),
    Case("conv_hardtanh_m1_1", fn(lambda m, x: F.hardtanh(m.c(x)), c=nn.Conv2d(8, 16, 3, padding=1))),
    Case("sigmoid", mod(lambda: nn.Sigmoid())),
    Case("hardsigmoid", mod(lambda: nn.Hardsigmoid())),
    Case("hardswish", mod(lambda: nn.Hardswish())),
    Case("silu", mod(lambda: nn.SiLU())),
    Case("tanh", mod(lambda: nn.Tanh())),
    Case("leaky_relu_0.1", mod(lambda: nn.LeakyReLU(0.1))),
    Case("prelu_per_channel", mod(lambda: prelu(8))),
    Case("prelu_single", mod(lambda: nn.PReLU())),
    Case("conv_prelu_per_channel", fn(lambda m, x: m.p(m.c(x)), c=nn.Conv2d(8, 16, 3, padding=1), p=prelu(16))),
    Case("elu", mod(lambda: nn.ELU())),
    Case("gelu_erf", mod(lambda: nn.GELU())),
    Case("gelu_tanh", mod(lambda: nn.GELU(approximate="tanh"))),
    # ---------------------------------------------------------------- softmax
    Case("softmax_4d_dim1", mod(lambda: nn.Softmax(dim=1))),
    Case("softmax_4d_dim-1", mod(lambda: nn.Softmax(dim=-1)),
         nhwc_transposes=2, transposes_why="softmax over W: W must be the innermost axis"),
    Case("softmax_2d", mod(lambda: nn.Softmax(dim=1)), shapes=((4, 10),)),
    Case("log_softmax_4d_dim1", mod(lambda: nn.LogSoftmax(dim=1))),
    Case("log_softmax_4d_dim-1", mod(lambda: nn.LogSoftmax(dim=-1)),
         nhwc_transposes=2, transposes_why="log-softmax over W: W must be the innermost axis"),
    Case("log_softmax_2d", mod(lambda: nn.LogSoftmax(dim=-1)), shapes=((4, 10),)),
    # ---------------------------------------------------------------- elementwise
    # [1,8,4,4] with a second input [8,1,1] (broadcast over N, H, W)
    *[Case(f"{name}_broadcast_input_8x1x1", fn(f), shapes=((1, 8, 4, 4), (8, 1, 1)),
           kind=("normal", "positive") if name == "div" else "normal")
      for name, f in [("add", lambda m, a, b: a + b), ("sub", lambda m, a, b: a - b),
                      ("mul", lambda m, a, b: a * b), ("div", lambda m, a, b: a / b),
                      ("maximum", lambda m, a, b: torch.maximum(a, b)),
                      ("minimum", lambda m, a, b: torch.minimum(a, b))]],
    # [8,1,1] operand first: the broadcast result takes the shape of the second operand
    Case("sub_broadcast_input_first_8x1x1", fn(lambda m, b, a: b - a), shapes=((8, 1, 1), (1, 8, 4, 4))),
    # [1,8,4,4] with a constant [8,1,1]
    *[Case(f"{name}_broadcast_const_8x1x1", fn(f, k=torch.rand(8, 1, 1) + 0.5), shapes=((1, 8, 4, 4),))
      for name, f in [("add", lambda m, a: a + m.k), ("sub", lambda m, a: a - m.k),
                      ("mul", lambda m, a: a * m.k), ("div", lambda m, a: a / m.k),
                      ("maximum", lambda m, a: torch.maximum(a, m.k)),
                      ("minimum", lambda m, a: torch.minimum(a, m.k))]],
    # with a Python scalar
    *[Case(f"{name}_scalar", fn(f), shapes=((1, 8, 4, 4),))
      for name, f in [("add", lambda m, a: a + 0.5), ("sub", lambda m, a: a - 0.25),
                      ("rsub", lambda m, a: 1.0 - a), ("mul", lambda m, a: a * 3.0),
                      ("div", lambda m, a: a / 4.0), ("rdiv", lambda m, a: 2.0 / (a.abs() + 1.0))]],
    Case("pow2", fn(lambda m, x: x ** 2)),
    Case("pow3", fn(lambda m, x: torch.pow(x, 3))),
    Case("sqrt", fn(lambda m, x: torch.sqrt(x)), kind="positive"),
    Case("exp", fn(lambda m, x: torch.exp(x))),
    Case("log", fn(lambda m, x: torch.log(x)), kind="positive"),
    Case("neg", fn(lambda m, x: -x)),
    Case("abs", fn(lambda m, x: torch.abs(x))),
    Case("reciprocal", fn(lambda m, x: torch.reciprocal(x)), kind="positive"),
    # ---------------------------------------------------------------- shapes / layout
    # The classic NHWC bug: flatten must see NCHW element order (or the FC weights permuted).
    Case("conv_flatten_linear", fn(lambda m, x: m.fc(torch.flatten(m.c(x), 1)),
                                   c=nn.Conv2d(8, 4, 3, padding=1), fc=nn.Linear(4 * 8 * 8, 10)),
         shapes=((1, 8, 8, 8),)),
    Case("conv_view_linear", fn(lambda m, x: m.fc(m.c(x).view(1, -1)),
                                c=nn.Conv2d(8, 4, 3, padding=1), fc=nn.Linear(4 * 8 * 8, 10)),
         shapes=((1, 8, 8, 8),)),
    Case("conv_reshape_n_c_hw", fn(lambda m, x: m.c(x).reshape(1, 16, 256), c=nn.Conv2d(8, 16, 3, padding=1))),
    Case("conv_reshape_tokens_n_hw_c", fn(lambda m, x: m.c(x).flatten(2).transpose(1, 2),
                                          c=nn.Conv2d(8, 16, 3, padding=1)),
         nhwc_transposes=1, transposes_why="the [N, HW, C] result is rank 3, so --nhwc-io hands it out as [N, C, HW]"),
    Case("squeeze_dim2", fn(lambda m, x: torch.squeeze(x, 2) * 2.0), shapes=((1, 8, 1, 16),)),
    Case("unsqueeze_last", fn(lambda m, x: x.unsqueeze(-1) + 1.0), shapes=((1, 8, 16),)),
    Case("conv_squeeze", fn(lambda m, x: m.c(x).squeeze(2) * 2.0, c=nn.Conv2d(8, 8, (1, 3), padding=(0, 1))),
         shapes=((1, 8, 1, 16),)),
    Case("conv_permute_to_nhwc", fn(lambda m, x: m.c(x).permute(0, 2, 3, 1), c=nn.Conv2d(8, 16, 3, padding=1)),
         nhwc_transposes=1, transposes_why="the user's NHWC result is handed out channels-last again ([N,W,C,H])"),
    Case("permute_0312", fn(lambda m, x: x.permute(0, 3, 1, 2).contiguous() * 2.0),
         nchw_transposes=1, nhwc_transposes=1, transposes_why="the user's own permutation"),
    Case("cat_channels_two_convs", fn(lambda m, x: torch.cat([m.a(x), m.b(x)], dim=1),
                                      a=nn.Conv2d(8, 4, 3, padding=1), b=nn.Conv2d(8, 12, 1))),
    Case("cat_channels_two_inputs", fn(lambda m, x, y: torch.cat([x, y * 2.0], dim=1)),
         shapes=(IMG, (1, 4, 16, 16))),
    Case("split_channels_two_outputs", fn(lambda m, x: tuple(t * (i + 1.0) for i, t in
                                                             enumerate(torch.split(m.c(x), [6, 10], dim=1))),
                                          c=nn.Conv2d(8, 16, 1))),
    Case("chunk_channels_gate", fn(lambda m, x: (lambda a, b: a * torch.sigmoid(b))(*torch.chunk(x, 2, dim=1)))),
    Case("slice_c2to6_h1_w_step2", fn(lambda m, x: x[:, 2:6, 1:, ::2] + 0.0)),
    Case("index_select_channels", fn(lambda m, x: torch.index_select(x, 1, m.idx), idx=torch.tensor([3, 0, 5, 5]))),
    Case("index_select_width", fn(lambda m, x: torch.index_select(x, 3, m.idx), idx=torch.tensor([0, 2, 4, 15]))),
    Case("index_channel_scalar", fn(lambda m, x: x[:, 3]),
         nhwc_transposes=1, transposes_why="the [N,H,W] result is rank 3, so --nhwc-io hands it out as [N,W,H]"),
    Case("gather_elements_channels", fn(lambda m, x: torch.gather(x, 1, m.idx),
                                        idx=torch.randint(0, 8, (1, 4, 16, 16), generator=torch.Generator().manual_seed(0)))),
    Case("pad_constant", fn(lambda m, x: F.pad(x, (1, 2, 0, 3), value=0.5))),
    Case("pad_reflect", fn(lambda m, x: F.pad(x, (2, 2, 1, 1), mode="reflect"))),
    Case("pad_replicate", fn(lambda m, x: F.pad(x, (1, 0, 2, 1), mode="replicate"))),
    # ---------------------------------------------------------------- index / selection
    # Index tensors computed at run time come from ArgMax of the (float) input.
    Case("argmax_channels_keepdim", fn(lambda m, x: torch.argmax(x, dim=1, keepdim=True))),
    # After a conv (NHWC inside): the channel-axis ops must leave only the input border transpose.
    Case("conv_argmax_channels", fn(lambda m, x: torch.argmax(m.c(x), dim=1, keepdim=True), c=nn.Conv2d(8, 16, 3, padding=1)),
         nchw_transposes=1, transposes_why="the NCHW input border only"),
    Case("conv_topk_cumsum_channels", fn(lambda m, x: torch.topk(torch.cumsum(m.c(x), dim=1), 3, dim=1)[0],
                                         c=nn.Conv2d(8, 16, 3, padding=1))),
    Case("conv_gather_elements_channels", fn(lambda m, x: torch.gather(m.c(x), 1, m.idx), c=nn.Conv2d(8, 16, 3, padding=1),
                                             idx=torch.randint(0, 16, (1, 4, 16, 16),
                                                               generator=torch.Generator().manual_seed(0)))),
    Case("argmin_w_keepdim", fn(lambda m, x: torch.argmin(x, dim=3, keepdim=True))),
    Case("argmax_2d", fn(lambda m, x: torch.argmax(x, dim=-1)), shapes=((4, 10),)),
    Case("topk_channels", fn(lambda m, x: torch.topk(x, 3, dim=1))),
    Case("topk_w_smallest", fn(lambda m, x: torch.topk(x, 4, dim=-1, largest=False)),
         nhwc_transposes=3, transposes_why="TOPK_V2 works on the innermost axis: W must be innermost, "
                                           "and both results go back to NHWC"),
    Case("topk_2d", fn(lambda m, x: torch.topk(x, 5)), shapes=((4, 10),)),
    Case("cumsum_channels", fn(lambda m, x: torch.cumsum(x, dim=1))),
    Case("cumsum_2d", fn(lambda m, x: torch.cumsum(x, dim=-1)), shapes=((4, 10),)),
    Case("triu_k1", fn(lambda m, x: torch.triu(x, 1))),
    Case("tril_km1", fn(lambda m, x: torch.tril(x, -1))),
    Case("gather_elements_argmax", fn(lambda m, x: torch.gather(x, 1, x.argmax(1, keepdim=True))),
         nhwc_transposes=1, transposes_why=RUNTIME_INDEX_WHY),
    Case("gather_elements_w_2d", fn(lambda m, x: torch.gather(x, 1, m.idx),
                                    idx=torch.tensor([[9, 0, 5], [3, 3, 2], [1, 8, 4], [0, 0, 0]])),
         shapes=((4, 10),)),
    # x[:, a, b]: GatherND (dynamo), Gather on a flattened view (TorchScript)
    Case("index_advanced_pair", fn(lambda m, x: x[:, m.a, m.b] * 2.0, a=torch.tensor([0, 2, 5]), b=torch.tensor([1, 1, 3])),
         nhwc_transposes=2, transposes_why="the gather picks (C, H) pairs in the ONNX layout, and its [N,3,W] result "
                                           "is rank 3, so --nhwc-io hands it out as [N,W,3]"),
    Case("index_put_channels", fn(lambda m, x: (lambda y: (y.__setitem__((slice(None), m.a), x[:, :2] * 2.0), y)[1])(
        x.clone()), a=torch.tensor([5, 1]))),
    Case("setitem_channels_zero", fn(lambda m, x: (lambda y: (y.__setitem__((slice(None), m.a), 0.0), y)[1])(x.clone()),
                                     a=torch.tensor([1, 4]))),
    Case("scatter_channels", fn(lambda m, x: torch.scatter(x, 1, m.idx, x[:, :2] * 3.0),
                                idx=torch.tensor([3, 0]).reshape(1, 2, 1, 1).expand(1, 2, 16, 16).contiguous())),
    Case("scatter_add_channels", fn(lambda m, x: torch.scatter_add(x, 1, m.idx, x[:, :2]),
                                    idx=torch.randint(0, 8, (1, 2, 16, 16), generator=torch.Generator().manual_seed(0)))),
    Case("scatter_at_argmax", fn(lambda m, x: torch.scatter(x, 1, x.argmax(1, keepdim=True),
                                                         x.amin(1, keepdim=True) - 1.0)),
         nhwc_transposes=2, transposes_why=RUNTIME_INDEX_WHY),
    Case("one_hot_argmax", fn(lambda m, x: F.one_hot(x.argmax(1), 8).float()),
         nhwc_transposes=1, transposes_why="the user's result is [N,H,W,classes] already; --nhwc-io hands it out "
                                           "channels-last again ([N,W,classes,H])"),
    Case("einsum_attention_scores", fn(lambda m, q, k: torch.einsum("bhqd,bhkd->bhqk", q, k)),
         shapes=((1, 2, 5, 8), (1, 2, 6, 8)),
         nhwc_transposes=3, transposes_why=MATMUL_NHWC_WHY),
    Case("einsum_bmm", fn(lambda m, a, b: torch.einsum("bij,bjk->bik", a, b)), shapes=((2, 3, 4), (2, 4, 5)),
         nhwc_transposes=3, transposes_why=MATMUL_NHWC_WHY),
    Case("einsum_rowwise_dot", fn(lambda m, a, b: torch.einsum("bi,bi->b", a, b)), shapes=((4, 10), (4, 10))),
    Case("einsum_transposed_weight", fn(lambda m, a: torch.einsum("ij,kj->ik", a, m.w), w=torch.randn(6, 10)),
         shapes=((4, 10),)),
    Case("einsum_ellipsis_matmul", fn(lambda m, a, b: torch.einsum("...ij,...jk->...ik", a, b)),
         shapes=((2, 3, 4, 5), (2, 3, 5, 6)),
         nhwc_transposes=3, transposes_why=MATMUL_NHWC_WHY),
    # ---------------------------------------------------------------- reductions
    Case("mean_hw_keepdim", fn(lambda m, x: x.mean(dim=(2, 3), keepdim=True))),
    Case("mean_hw", fn(lambda m, x: x.mean(dim=(2, 3)))),
    Case("mean_c_keepdim", fn(lambda m, x: x.mean(dim=1, keepdim=True))),
    Case("sum_c", fn(lambda m, x: x.sum(dim=1)),
         nhwc_transposes=1, transposes_why="the [N,H,W] result is rank 3, so --nhwc-io hands it out as [N,W,H]"),
    Case("sum_hw_keepdim", fn(lambda m, x: x.sum(dim=(2, 3), keepdim=True))),
    Case("amax_c_keepdim", fn(lambda m, x: x.amax(dim=1, keepdim=True))),
    Case("amax_w", fn(lambda m, x: x.amax(dim=-1))),
    # ---------------------------------------------------------------- resize
    Case("interpolate_nearest_x2", fn(lambda m, x: F.interpolate(x, scale_factor=2, mode="nearest"))),
    Case("interpolate_bilinear_x2", fn(lambda m, x: F.interpolate(x, scale_factor=2, mode="bilinear",
                                                                  align_corners=False))),
    Case("interpolate_bilinear_x2_align_corners", fn(lambda m, x: F.interpolate(x, scale_factor=2, mode="bilinear",
                                                                                align_corners=True))),
    Case("interpolate_bilinear_size_24x40", fn(lambda m, x: F.interpolate(x, size=(24, 40), mode="bilinear",
                                                                          align_corners=False))),
    Case("interpolate_nearest_size_24x40", fn(lambda m, x: F.interpolate(x, size=(24, 40), mode="nearest"))),
    # ---------------------------------------------------------------- depth/space, math (issue 3)
    # pixel_shuffle exports DepthToSpace mode=CRD (a channel GATHER + DEPTH_TO_SPACE);
    # pixel_unshuffle exports Reshape/6-D Transpose/Reshape, fused into SpaceToDepth.
    Case("pixel_shuffle_2", fn(lambda m, x: F.pixel_shuffle(x, 2))),
    Case("conv_pixel_shuffle_3", fn(lambda m, x: F.pixel_shuffle(m.c(x), 3), c=nn.Conv2d(8, 18, 3, padding=1))),
    Case("pixel_unshuffle_2", fn(lambda m, x: F.pixel_unshuffle(x, 2))),
    Case("erf", fn(lambda m, x: torch.erf(x * 2.0))),
    Case("tan", fn(lambda m, x: torch.tan(x * 0.5))),
    Case("atan", fn(lambda m, x: torch.atan(x * 3.0))),
    Case("asin_acos", fn(lambda m, x: torch.asin(torch.tanh(x)) + torch.acos(torch.tanh(x * 0.5)))),
    # TorchScript (opset 17) cannot export the hyperbolics.
    Case("sinh_cosh", fn(lambda m, x: torch.sinh(x) - torch.cosh(x * 0.5)), exporters=("dynamo",)),
    Case("asinh_acosh_atanh", fn(lambda m, x: torch.asinh(x * 4.0) + torch.acosh(x.abs() + 1.0) +
                                 torch.atanh(torch.tanh(x))), exporters=("dynamo",)),
    # ---------------------------------------------------------------- recurrent (LSTM fused where exact, else unrolled per step)
    # Sequences are [T, B, F] (or [B, T, F] batch_first), not channels-first: --nhwc-io hands
    # each rank-3 input/output in permuted, which costs one transpose per such tensor.
    # batch_first: torch transposes the input to time-major and the result back, and those
    # two transposes stay (next to a graph input/output, around the recurrence).
    Case("lstm", fn(lambda m, x: m.r(x)[0], r=nn.LSTM(8, 16)), shapes=((6, 2, 8),),
         nchw_transposes=0, nhwc_transposes=2, transposes_why=SEQ_WHY),
    Case("lstm_2layer_bidirectional_batch_first", fn(lambda m, x: m.r(x)[0],
                                                     r=nn.LSTM(8, 16, num_layers=2, bidirectional=True,
                                                               batch_first=True)),
         shapes=((2, 6, 8),), nchw_transposes=2, nhwc_transposes=2, transposes_why=SEQ_WHY),
    Case("lstm_h0_c0_all_outputs", fn(lambda m, x, h, c: (lambda y, hc: (y, *hc))(*m.r(x, (h, c))), r=nn.LSTM(8, 16)),
         shapes=((6, 2, 8), (1, 2, 16), (1, 2, 16)), nchw_transposes=0, nhwc_transposes=6, transposes_why=SEQ_WHY),
    Case("lstm_bidirectional_h0_c0", fn(lambda m, x, h, c: m.r(x, (h, c))[0], r=nn.LSTM(8, 16, bidirectional=True)),
         shapes=((6, 2, 8), (2, 2, 16), (2, 2, 16)), nchw_transposes=0, nhwc_transposes=4, transposes_why=SEQ_WHY),
    Case("gru_with_h_n", fn(lambda m, x: m.r(x), r=nn.GRU(8, 16)), shapes=((6, 2, 8),),
         nchw_transposes=0, nhwc_transposes=3, transposes_why=SEQ_WHY),
    Case("gru_2layer_bidirectional_batch_first_h0", fn(lambda m, x, h: m.r(x, h)[0],
                                                       r=nn.GRU(8, 16, num_layers=2, bidirectional=True,
                                                                batch_first=True)),
         shapes=((2, 6, 8), (4, 2, 16)), nchw_transposes=2, nhwc_transposes=3, transposes_why=SEQ_WHY),
    Case("rnn_tanh", fn(lambda m, x: m.r(x)[0], r=nn.RNN(8, 16)), shapes=((6, 2, 8),),
         nchw_transposes=0, nhwc_transposes=2, transposes_why=SEQ_WHY),
    Case("rnn_relu_2layer_bidirectional_batch_first", fn(lambda m, x: m.r(x)[0],
                                                         r=nn.RNN(8, 16, num_layers=2, nonlinearity="relu",
                                                                  bidirectional=True, batch_first=True)),
         shapes=((2, 6, 8),), nchw_transposes=2, nhwc_transposes=2, transposes_why=SEQ_WHY),
    # ---------------------------------------------------------------- BatchNorm
    Case("conv_batchnorm", fn(lambda m, x: m.bn(m.c(x)), c=nn.Conv2d(8, 16, 3, padding=1), bn=nn.BatchNorm2d(16)),
         exporters=BN_EXPORTERS),
    Case("conv_nobias_batchnorm_relu", fn(lambda m, x: F.relu(m.bn(m.c(x))), c=nn.Conv2d(8, 16, 3, bias=False),
                                          bn=nn.BatchNorm2d(16)), exporters=BN_EXPORTERS),
    Case("batchnorm2d_standalone", mod(lambda: nn.BatchNorm2d(8)), exporters=BN_EXPORTERS),
    Case("batchnorm1d_2d_input", mod(lambda: nn.BatchNorm1d(32)), shapes=((4, 32),), exporters=BN_EXPORTERS),
]

CASES_BY_ID = {c.id: c for c in CASES}
assert len(CASES_BY_ID) == len(CASES), "duplicate case ids"
