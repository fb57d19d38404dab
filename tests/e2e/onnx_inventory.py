"""Exports every e2e test model with each exporter and lists what the converter must handle:
ONNX (op_type, opset) pairs with their attributes and which inputs are constant, per case.
Also checks torch against onnxruntime, so an exporter bug is not taken for a converter bug.

  .venv/bin/python tests/e2e/onnx_inventory.py [--cases ID,ID] [--models] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402


def _attr_str(a) -> str:
    import onnx

    v = onnx.helper.get_attribute_value(a)
    if isinstance(v, bytes):
        v = v.decode()
    elif isinstance(v, onnx.TensorProto):
        arr = onnx.numpy_helper.to_array(v)
        v = f"tensor{list(arr.shape)}" if arr.size > 4 else f"{arr.tolist()}"
    elif isinstance(v, list) and v and isinstance(v[0], bytes):
        v = [x.decode() for x in v]
    elif isinstance(v, float):
        v = f"{v:g}"
    return f"{a.name}={v}"


def describe(onnx_path: Path) -> tuple[int, list[tuple[str, str, str]]]:
    """(opset, [(op_type, attributes, constant-input marks)])."""
    import onnx

    m = onnx.load(str(onnx_path), load_external_data=False)
    opset = next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
    consts = {t.name for t in m.graph.initializer}
    consts |= {o for n in m.graph.node if n.op_type == "Constant" for o in n.output}
    rows = []
    for n in m.graph.node:
        if n.op_type == "Constant":
            continue
        attrs = " ".join(_attr_str(a) for a in n.attribute)
        ins = "".join("C" if i in consts else ("-" if i == "" else "v") for i in n.input)
        rows.append((n.op_type if not n.domain else f"{n.domain}.{n.op_type}", attrs, ins))
    return opset, rows


def main() -> int:
    import torch

    import op_cases
    import models

    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", help="comma-separated case ids (default: all)")
    ap.add_argument("--models", action="store_true", help="also the whole models")
    ap.add_argument("--out", help="write the report here too")
    args = ap.parse_args()

    cases = op_cases.CASES
    if args.cases:
        cases = [op_cases.CASES_BY_ID[c] for c in args.cases.split(",")]
    jobs = [(c.id, c.build, c.shapes, c.kind, c.exporters) for c in cases]
    if args.models:
        for name, spec in models.MODELS.items():
            jobs.append((name, spec.build, spec.shapes, spec.input_kinds, (*harness.EXPORTERS, "torchscript_nofold")))

    lines: list[str] = []
    say = lambda s="": (print(s, flush=True), lines.append(s))  # noqa: E731
    inventory: dict[tuple[str, int, str], set[str]] = defaultdict(set)  # (op, opset, exporter) -> attr sets
    problems = []
    root = Path(tempfile.mkdtemp(prefix="onnx_inventory_"))
    for cid, build, shapes, kind, exporters in jobs:
        for exporter in exporters:
            t0 = time.time()
            try:
                model = build()
                arrays = harness.random_inputs(shapes, seed=0, kind=kind)
                path = harness.export_onnx(model, tuple(torch.from_numpy(a.copy()) for a in arrays),
                                           root / f"{cid}-{exporter}" / "model.onnx", exporter)
                ins, outs = harness.onnx_io(path)
                ref = harness.run_onnxruntime(path, {n: a for (n, _), a in zip(ins, arrays)})
                with torch.no_grad():
                    t_out = model(*[torch.from_numpy(a.copy()) for a in arrays])
                t_out = [t_out] if isinstance(t_out, torch.Tensor) else list(t_out)
                errs = []
                for (name, r), t in zip(ref.items(), t_out):
                    e, s = harness.max_rel_error(t.numpy(), r)
                    errs.append(e / s if s else e)
                opset, rows = describe(path)
                for op, attrs, cin in rows:
                    inventory[(op, opset, exporter)].add(f"{attrs} [in:{cin}]".strip())
                ops = " ".join(op for op, _, _ in rows)
                flag = "" if max(errs) <= 1e-4 else "   <-- torch vs onnxruntime differ!"
                if flag:
                    problems.append(f"{cid}/{exporter}: torch vs ORT rel err {max(errs):.2e}")
                say(f"{cid:40s} {exporter:18s} opset {opset} {time.time() - t0:5.1f}s  "
                    f"in {[d for _, d in ins]} out {[d for _, d in outs]}  torch~ort {max(errs):.1e}{flag}")
                say(f"{'':40s}   {ops}")
            except Exception as e:  # noqa: BLE001 — a report, not a test
                problems.append(f"{cid}/{exporter}: export FAILED: {type(e).__name__}: {str(e)[:300]}")
                say(f"{cid:40s} {exporter:18s} EXPORT FAILED: {type(e).__name__}: {str(e)[:300]}")
                traceback.print_exc(limit=1)

    say()
    say("## (op_type, opset, exporter) → attribute sets seen  [in: v=variable C=constant -=absent]")
    for (op, opset, exporter) in sorted(inventory):
        say(f"- {op} (opset {opset}, {exporter}):")
        for attrs in sorted(inventory[(op, opset, exporter)]):
            say(f"    {attrs}")
    say()
    say("## problems")
    for p in problems or ["none"]:
        say(f"- {p}")
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
