"""ONNX-ML (ai.onnx.ml) ops as scikit-learn pipelines exported by skl2onnx use them, built
directly as ONNX graphs that import the ai.onnx.ml domain, converted, run in LiteRT and
compared with onnxruntime: integers and labels exactly, floats by the float32 rule.
Covers the attribute forms a real model carries (per-feature vs single parameters, NaN as the
missing value, the tensor attributes of LabelEncoder-4, binary vs multi-class linear models,
every post_transform) and the refusals of what TFLite cannot hold (string labels).
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import harness

ML = "ai.onnx.ml"
_TYPES = {np.float32: TensorProto.FLOAT, np.int64: TensorProto.INT64, np.int32: TensorProto.INT32}
_rng = np.random.default_rng(7)


def _f(*shape):
    return _rng.standard_normal(shape).astype(np.float32)


def _model(nodes, feeds, outputs, ml_opset=3, default_opset=None, consts=None):
    inputs = [helper.make_tensor_value_info(k, _TYPES[v.dtype.type], v.shape) for k, v in feeds.items()]
    outs = [onnx.ValueInfoProto(name=o) for o in outputs]  # typed by onnxruntime / pt2tflite
    graph = helper.make_graph(nodes, "ml", inputs, outs,
                              initializer=[numpy_helper.from_array(v, k) for k, v in (consts or {}).items()])
    opsets = [helper.make_opsetid(ML, ml_opset)]
    if default_opset:
        opsets.append(helper.make_opsetid("", default_opset))
    return helper.make_model(graph, opset_imports=opsets)


def _one(op, feeds, attrs, outputs=("y",), ml_opset=3, inputs=None):
    node = helper.make_node(op, list(inputs or feeds), list(outputs), domain=ML, **attrs)
    return _model([node], feeds, outputs, ml_opset)


def _with_missing(x, frac=0.3, value=np.nan):
    x = x.copy()
    x[_rng.random(x.shape) < frac] = value
    return x


_X = _f(6, 4)
_XI = _rng.integers(-3, 4, (5, 4)).astype(np.int64)

# id: (op, feeds, attrs, outputs, ml opset)
CASES = {
    "binarizer": ("Binarizer", {"x": _X}, {"threshold": 0.25}, ("y",), 1),
    "binarizer_default_threshold": ("Binarizer", {"x": _X * 3}, {}, ("y",), 1),
    "scaler_per_feature": ("Scaler", {"x": _X}, {"offset": [0.5, -1, 2, 0], "scale": [2, 0.5, -1, 3]}, ("y",), 1),
    "scaler_single_int64": ("Scaler", {"x": _XI}, {"offset": [1.5], "scale": [0.25]}, ("y",), 1),
    "scaler_1d": ("Scaler", {"x": _f(4)}, {"offset": [0.5, -1, 2, 0], "scale": [2, 0.5, -1, 3]}, ("y",), 1),
    "normalizer_max": ("Normalizer", {"x": np.vstack([_X, np.zeros((1, 4), np.float32)])}, {"norm": "MAX"}, ("y",), 1),
    "normalizer_l1": ("Normalizer", {"x": np.vstack([_X, np.zeros((1, 4), np.float32)])}, {"norm": "L1"}, ("y",), 1),
    "normalizer_l2": ("Normalizer", {"x": np.vstack([_X, np.zeros((1, 4), np.float32)])}, {"norm": "L2"}, ("y",), 1),
    "normalizer_l2_int64": ("Normalizer", {"x": _XI}, {"norm": "L2"}, ("y",), 1),
    "imputer_nan_per_feature": ("Imputer", {"x": _with_missing(_X)},
                                {"imputed_value_floats": [1.0, 2.0, 3.0, 4.0], "replaced_value_float": float("nan")}, ("y",), 1),
    "imputer_value_single": ("Imputer", {"x": np.round(_X)},
                             {"imputed_value_floats": [9.5], "replaced_value_float": 0.0}, ("y",), 1),
    "imputer_int64": ("Imputer", {"x": _XI}, {"imputed_value_int64s": [7, 8, 9, 10], "replaced_value_int64": 0},
                      ("y",), 1),
    "array_feature_extractor": ("ArrayFeatureExtractor", {"x": _f(2, 3, 5), "i": np.array([4, 0, 4, 2], np.int64)},
                                {}, ("y",), 1),
    "array_feature_extractor_1d_int64": ("ArrayFeatureExtractor", {"x": _XI[0], "i": np.array([[3], [1]], np.int64)},
                                         {}, ("y",), 1),
    "linear_regressor": ("LinearRegressor", {"x": _X}, {"coefficients": _f(12).tolist(), "intercepts": [0.5, -1, 2],
                                                       "targets": 3}, ("y",), 1),
    "linear_regressor_1target_1d": ("LinearRegressor", {"x": _f(4)},
                                       {"coefficients": _f(4).tolist(), "intercepts": [0.3]}, ("y",), 1),
    "linear_regressor_softmax": ("LinearRegressor", {"x": _X}, {"coefficients": _f(8).tolist(), "targets": 2,
                                                               "post_transform": "SOFTMAX"}, ("y",), 1),
}


def _classifier(post, classes=3, labels=None, x=_X):
    c = x.shape[-1]
    attrs = {"coefficients": _f(classes * c).tolist(), "intercepts": _f(classes).tolist(),
             "post_transform": post}
    if labels is not None:
        attrs["classlabels_ints"] = labels
    return ("LinearClassifier", {"x": x}, attrs, ("label", "scores"), 1)


for _post in ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"]:
    CASES[f"linear_classifier_{_post.lower()}"] = _classifier(_post, labels=[10, 20, 30])
# PROBIT is defined on probabilities: inputs, weights and intercepts keep the scores in (0, 1).
CASES["linear_classifier_probit"] = (
    "LinearClassifier", {"x": _rng.uniform(0, 1, (6, 4)).astype(np.float32)},
    {"coefficients": _rng.uniform(0, 0.05, 12).tolist(), "intercepts": [0.05, 0.5, 0.7], "post_transform": "PROBIT",
     "classlabels_ints": [10, 20, 30]}, ("label", "scores"), 1)
CASES["linear_regressor_probit"] = (
    "LinearRegressor", {"x": _rng.uniform(0, 1, (6, 4)).astype(np.float32)},
    {"coefficients": _rng.uniform(0, 0.2, 4).tolist(), "intercepts": [0.02], "post_transform": "PROBIT"}, ("y",), 1)
for _post in ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"]:
    CASES[f"linear_classifier_binary_two_labels_{_post.lower()}"] = _classifier(_post, classes=1, labels=[-1, 5])
CASES["linear_classifier_binary_no_labels"] = _classifier("NONE", classes=1)
CASES["linear_classifier_1d_int64"] = _classifier("SOFTMAX", labels=[0, 1, 2], x=_XI[1])


@pytest.mark.parametrize("case", list(CASES))
def test_onnx_ml_op(case, tmp_path):
    op, feeds, attrs, outputs, ml_opset = CASES[case]
    harness.check_onnx_model(_one(op, feeds, attrs, outputs, ml_opset), feeds, tmp_path, case)


def test_softmax_zero_skips_zero_scores(tmp_path):
    """SOFTMAX_ZERO leaves exact-zero scores out of the sum (onnxruntime's ComputeSoftmaxZero):
    inputs of zero make some scores exactly the (zero) intercept."""
    x = _X.copy()
    x[::2] = 0
    attrs = {"coefficients": _f(12).tolist(), "intercepts": [0.0, 0.7, 0.0], "post_transform": "SOFTMAX_ZERO",
             "classlabels_ints": [1, 2, 3]}
    feeds = {"x": x}
    harness.check_onnx_model(_one("LinearClassifier", feeds, attrs, ("label", "scores")), feeds, tmp_path, "smz")


def test_feature_vectorizer_cuts_and_pads(tmp_path):
    """Inputs wider than their inputdimensions entry are cut, narrower ones zero-padded;
    rank-3 inputs are read as [N, rest]."""
    feeds = {"a": _f(3, 4), "b": _f(3, 2), "c": _f(3, 2, 3)}  # onnxruntime wants one input type
    node = helper.make_node("FeatureVectorizer", ["a", "b", "c"], ["y"], domain=ML, inputdimensions=[2, 4, 6])
    harness.check_onnx_model(_model([node], feeds, ["y"], 1), feeds, tmp_path, "feature_vectorizer")


LABEL_ENCODERS = {
    "int_to_float": (2, {"keys_int64s": [3, 1, 4, 1, 5], "values_floats": [0.5, 1.5, 2.5, 9.0, -3.0],
                         "default_float": 7.25}, np.int64),
    "int_to_int_default": (2, {"keys_int64s": [-2, 0, 2], "values_int64s": [20, 0, -20]}, np.int64),
    "int_to_float_default": (4, {"keys_int64s": [-2, 0, 2], "values_floats": [2.5, 0.0, -2.5]}, np.int64),
    # A NaN key matches NaN from opset 4 on, never before (onnxruntime).
    "float_to_int_nan_key_opset2": (2, {"keys_floats": [0.5, float("nan"), -1.0], "values_int64s": [1, 2, 3],
                                        "default_int64": 99}, np.float32),
    "float_to_int_nan_key_opset4": (4, {"keys_floats": [0.5, float("nan"), -1.0], "values_int64s": [1, 2, 3],
                                        "default_int64": 99}, np.float32),
    "tensor_int_to_int": (4, {"keys_tensor": numpy_helper.from_array(np.array([3, 1, 4], np.int64), "k"),
                              "values_tensor": numpy_helper.from_array(np.array([30, 10, 40], np.int64), "v"),
                              "default_tensor": numpy_helper.from_array(np.array([-5], np.int64), "d")}, np.int64),
    "tensor_float_keys_list_values": (4, {"keys_tensor": numpy_helper.from_array(np.array([0.5, 1.5], np.float32), "k"),
                                          "values_int64s": [7, 8]}, np.float32),
}


@pytest.mark.parametrize("case", list(LABEL_ENCODERS))
def test_label_encoder(case, tmp_path):
    opset, attrs, dtype = LABEL_ENCODERS[case]
    if dtype == np.int64:
        x = _rng.integers(-3, 6, (4, 5)).astype(np.int64)
    else:
        x = _rng.choice(np.array([0.5, 1.5, -1.0, np.nan, 2.0], np.float32), (4, 5))
    feeds = {"x": x}
    harness.check_onnx_model(_one("LabelEncoder", feeds, attrs, ml_opset=opset), feeds, tmp_path, case)


def test_pipeline_with_default_domain_ops(tmp_path):
    """A skl2onnx-like pipeline: impute → scale → a default-domain Cast → linear classifier."""
    x = _with_missing(_X)
    nodes = [
        helper.make_node("Imputer", ["x"], ["imp"], domain=ML, imputed_value_floats=[0.1, 0.2, 0.3, 0.4],
                         replaced_value_float=float("nan")),
        helper.make_node("Scaler", ["imp"], ["sc"], domain=ML, offset=[0.1, 0.0, -0.1, 0.2],
                         scale=[1.0, 2.0, 3.0, 4.0]),
        helper.make_node("Cast", ["sc"], ["sc32"], to=TensorProto.FLOAT),
        helper.make_node("LinearClassifier", ["sc32"], ["label", "prob"], domain=ML, coefficients=_f(8).tolist(),
                         intercepts=[0.1, -0.1], classlabels_ints=[0, 1], post_transform="LOGISTIC"),
    ]
    feeds = {"x": x}
    harness.check_onnx_model(_model(nodes, feeds, ["label", "prob"], 1, default_opset=17), feeds, tmp_path, "pipe")


def _refusal(tmp_path, model, name) -> str:
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    r = harness.run_cli("convert", path, "-o", tmp_path / f"{name}.tflite")
    assert r.returncode != 0 and not (tmp_path / f"{name}.tflite").exists()
    return r.stderr


def test_string_labels_are_refused_naming_strings(tmp_path):
    feeds = {"x": _X}
    model = _one("LinearClassifier", feeds, {"coefficients": _f(12).tolist(), "intercepts": [0, 0, 0],
                                             "classlabels_strings": ["a", "b", "c"]}, ("label", "scores"))
    err = _refusal(tmp_path, model, "strings")
    assert "classlabels_strings" in err and "string" in err


def test_unknown_ml_op_is_listed_with_its_domain_and_opset(tmp_path):
    feeds = {"x": _X}
    err = _refusal(tmp_path, _one("ZipMap", feeds, {"classlabels_int64s": [1, 2]}, ml_opset=3), "zipmap")
    assert "ai.onnx.ml.ZipMap (opset 3)" in err


# --------------------------------------------------------------------------- tree ensembles
# Trees are trained with scikit-learn and written out the way skl2onnx writes them (node 0 the
# root, BRANCH_LEQ on float32 thresholds, leaves' values as target/class weights).

def _sk_nodes(trees):
    """nodes_* attributes (opsets 1/3) of fitted sklearn trees."""
    a = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes",
                         "nodes_truenodeids", "nodes_falsenodeids"]}
    for t, est in enumerate(trees):
        tr = est.tree_
        for i in range(tr.node_count):
            leaf = tr.children_left[i] == -1
            a["nodes_treeids"].append(t)
            a["nodes_nodeids"].append(i)
            a["nodes_featureids"].append(0 if leaf else int(tr.feature[i]))
            a["nodes_values"].append(0.0 if leaf else float(tr.threshold[i]))
            a["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            a["nodes_truenodeids"].append(0 if leaf else int(tr.children_left[i]))
            a["nodes_falsenodeids"].append(0 if leaf else int(tr.children_right[i]))
    return a


def _sk_leaf_weights(trees, prefix, scale=1.0, normalize=False):
    w = {f"{prefix}_treeids": [], f"{prefix}_nodeids": [], f"{prefix}_ids": [], f"{prefix}_weights": []}
    for t, est in enumerate(trees):
        tr = est.tree_
        for i in range(tr.node_count):
            if tr.children_left[i] != -1:
                continue
            v = tr.value[i].reshape(-1)
            if normalize:
                v = v / v.sum()
            for k, val in enumerate(v):
                w[f"{prefix}_treeids"].append(t)
                w[f"{prefix}_nodeids"].append(i)
                w[f"{prefix}_ids"].append(k)
                w[f"{prefix}_weights"].append(float(val) * scale)
    return w


def _sk_data(n=40, features=5, classes=None):
    x = _rng.standard_normal((n, features)).astype(np.float32)
    if classes:
        y = (np.abs(x[:, 0] * 2 + x[:, 1]).astype(int) + (x[:, 2] > 0)) % classes
    else:
        y = np.stack([x[:, 0] * 2 - x[:, 1] ** 2, np.sin(x[:, 2]) + x[:, 3]], axis=1)
    return x, y


@pytest.mark.parametrize("aggregate", ["SUM", "AVERAGE", "MIN", "MAX"])
def test_tree_ensemble_regressor_random_forest(aggregate, tmp_path):
    from sklearn.ensemble import RandomForestRegressor

    x, y = _sk_data()
    rf = RandomForestRegressor(n_estimators=5, max_depth=6, random_state=0).fit(x, y)
    attrs = {**_sk_nodes(rf.estimators_), **_sk_leaf_weights(rf.estimators_, "target"), "n_targets": 2,
             "aggregate_function": aggregate, "base_values": [0.5, -0.25]}
    feeds = {"x": _f(17, 5)}
    harness.check_onnx_model(_one("TreeEnsembleRegressor", feeds, attrs), feeds, tmp_path, f"rf_{aggregate}")


@pytest.mark.parametrize("post", ["NONE", "PROBIT"])
def test_tree_ensemble_regressor_one_target(post, tmp_path):
    from sklearn.tree import DecisionTreeRegressor

    x, y = _sk_data()
    # PROBIT needs scores in (0, 1): a target squashed there.
    target = 1 / (1 + np.exp(-y[:, 0])) * 0.8 + 0.1 if post == "PROBIT" else y[:, 0]
    dt = DecisionTreeRegressor(max_depth=7, random_state=0).fit(x, target)
    attrs = {**_sk_nodes([dt]), **_sk_leaf_weights([dt], "target"), "n_targets": 1, "post_transform": post}
    feeds = {"x": _f(23, 5)}
    harness.check_onnx_model(_one("TreeEnsembleRegressor", feeds, attrs), feeds, tmp_path, f"dt_{post}")


def test_tree_ensemble_regressor_opset3_tensor_thresholds_and_missing(tmp_path):
    """Opset 3's *_as_tensor attributes, and NaN features routed by
    nodes_missing_value_tracks_true."""
    from sklearn.tree import DecisionTreeRegressor

    x, y = _sk_data()
    dt = DecisionTreeRegressor(max_depth=5, random_state=1).fit(x, y[:, 1])
    nodes = _sk_nodes([dt])
    values = np.array(nodes.pop("nodes_values"), np.float32)
    w = _sk_leaf_weights([dt], "target")
    weights = np.array(w.pop("target_weights"), np.float32)
    attrs = {**nodes, **w, "n_targets": 1,
             "nodes_values_as_tensor": numpy_helper.from_array(values, "v"),
             "target_weights_as_tensor": numpy_helper.from_array(weights, "w"),
             "nodes_missing_value_tracks_true": [i % 2 for i in range(len(values))]}
    feeds = {"x": _with_missing(_f(30, 5), 0.2)}
    harness.check_onnx_model(_one("TreeEnsembleRegressor", feeds, attrs, ml_opset=3), feeds, tmp_path, "dt_opset3")


@pytest.mark.parametrize("post", ["NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO"])
def test_tree_ensemble_classifier_multiclass(post, tmp_path):
    from sklearn.ensemble import RandomForestClassifier

    x, y = _sk_data(classes=3)
    rf = RandomForestClassifier(n_estimators=4, max_depth=5, random_state=0).fit(x, y)
    attrs = {**_sk_nodes(rf.estimators_), **_sk_leaf_weights(rf.estimators_, "class", 1 / 4, normalize=True),
             "classlabels_int64s": [3, 7, 11], "post_transform": post}
    feeds = {"x": _f(29, 5)}
    harness.check_onnx_model(_one("TreeEnsembleClassifier", feeds, attrs, ("label", "scores")), feeds, tmp_path,
                             f"rfc_{post}")


@pytest.mark.parametrize("base", [False, True])
def test_tree_ensemble_classifier_some_classes_unscored(base, tmp_path):
    """Leaves weighting only some classes (all negative): labels come from the scored classes
    only; base_values (one per class) make every class count as scored (onnxruntime)."""
    attrs = {"nodes_treeids": [0, 0, 0, 1, 1, 1], "nodes_nodeids": [0, 1, 2, 0, 1, 2],
             "nodes_featureids": [0, 0, 0, 1, 0, 0], "nodes_values": [0.0, 0, 0, 0.5, 0, 0],
             "nodes_modes": ["BRANCH_LT", "LEAF", "LEAF"] * 2, "nodes_truenodeids": [1, 0, 0, 1, 0, 0],
             "nodes_falsenodeids": [2, 0, 0, 2, 0, 0],
             "class_treeids": [0, 0, 1], "class_nodeids": [1, 2, 2], "class_ids": [1, 2, 3],
             "class_weights": [-0.5, -1.0, -2.0], "classlabels_int64s": [10, 20, 30, 40]}
    if base:
        attrs["base_values"] = [-3.0, 0.25, -0.5, 0.0]
    feeds = {"x": _f(16, 2)}
    harness.check_onnx_model(_one("TreeEnsembleClassifier", feeds, attrs, ("label", "scores")), feeds, tmp_path,
                             f"unscored_{base}")


def _v5(nodes, leaves, roots, n_targets, **extra):
    """TreeEnsemble-5 attributes from interior nodes (mode, feature, split, true, false,
    true_is_leaf, false_is_leaf) and leaves (target, weight)."""
    m, f, s, t, e, tl, fl = zip(*nodes)
    attrs = {"nodes_modes": numpy_helper.from_array(np.array(m, np.uint8), "m"), "nodes_featureids": list(f),
             "nodes_splits": numpy_helper.from_array(np.array(s, np.float32), "s"), "nodes_truenodeids": list(t),
             "nodes_falsenodeids": list(e), "nodes_trueleafs": list(tl), "nodes_falseleafs": list(fl),
             "leaf_targetids": [lt for lt, _ in leaves],
             "leaf_weights": numpy_helper.from_array(np.array([w for _, w in leaves], np.float32), "w"),
             "tree_roots": roots, "n_targets": n_targets}
    attrs.update(extra)
    return attrs


# Two trees mixing every comparison mode; a set-membership node; a third tree that is one leaf.
_V5_NODES = [(0, 0, 0.0, 1, 2, 0, 0), (1, 1, 0.5, 0, 1, 1, 1), (2, 2, -0.25, 2, 3, 1, 1),
             (3, 0, 1.0, 4, 5, 1, 1), (6, 1, 0.0, 6, 4, 1, 0), (4, 2, 1.0, 7, 8, 1, 1), (5, 0, 1.0, 9, 9, 1, 1),
             (0, 0, 0.0, 10, 10, 1, 1)]
_V5_LEAVES = [(0, 1.0), (1, 2.0), (0, -3.0), (1, 4.5), (0, 5.0), (1, -6.0), (0, 7.0), (1, 0.25), (0, -1.5),
              (1, 3.0), (0, 0.75)]


# post_transform 1 and 2 are LOGISTIC and SOFTMAX as onnxruntime reads them (the spec swaps them).
@pytest.mark.parametrize("aggregate,post", [(1, 0), (0, 0), (2, 0), (3, 0), (1, 1), (1, 2), (1, 3)])
def test_tree_ensemble_opset5_modes(aggregate, post, tmp_path):
    attrs = _v5(_V5_NODES, _V5_LEAVES, [0, 3, 7], 2, aggregate_function=aggregate, post_transform=post,
                membership_values=numpy_helper.from_array(np.array([0.0, 1.0, 2.0, np.nan], np.float32), "mv"),
                nodes_missing_value_tracks_true=[0, 1, 0, 0, 1, 0, 0, 0])
    x = np.round(_f(40, 3) * 2) / 2  # on the thresholds and set members often
    x[::7, 1] = np.nan
    feeds = {"x": x}
    harness.check_onnx_model(_one("TreeEnsemble", feeds, attrs, ml_opset=5), feeds, tmp_path, f"v5_{aggregate}_{post}")


# Binary tree classifiers follow onnxruntime's binary rules: a random forest weighting both
# classes (labels then read 1/0 by the class-1 score's sign, as onnxruntime writes them), and
# gradient boosting weighting one class id, with 0, 1 or 2 base values.
@pytest.mark.parametrize("post", ["NONE", "LOGISTIC", "SOFTMAX"])
def test_tree_ensemble_classifier_binary_forest(post, tmp_path):
    from sklearn.ensemble import RandomForestClassifier

    x, y = _sk_data(classes=2)
    rf = RandomForestClassifier(n_estimators=3, max_depth=4, random_state=0).fit(x, y)
    attrs = {**_sk_nodes(rf.estimators_), **_sk_leaf_weights(rf.estimators_, "class", 1 / 3, normalize=True),
             "classlabels_int64s": [0, 1], "post_transform": post}
    feeds = {"x": _f(25, 5)}
    harness.check_onnx_model(_one("TreeEnsembleClassifier", feeds, attrs, ("label", "scores")), feeds, tmp_path,
                             f"rf2_{post}")


@pytest.mark.parametrize("post", ["NONE", "LOGISTIC", "SOFTMAX"])
@pytest.mark.parametrize("base", [None, [0.3], [0.3, -0.2]])
@pytest.mark.parametrize("class_id", [0, 1])
@pytest.mark.parametrize("positive", [False, True])
def test_tree_ensemble_classifier_binary_boosting(post, base, class_id, positive, tmp_path):
    from sklearn.ensemble import GradientBoostingClassifier

    x, y = _sk_data(classes=2)
    gb = GradientBoostingClassifier(n_estimators=3, max_depth=2, random_state=0).fit(x, y)
    trees = [e[0] for e in gb.estimators_]
    w = _sk_leaf_weights(trees, "class", 0.1)
    w["class_ids"] = [class_id] * len(w["class_ids"])
    if positive:  # all weights ≥ 0: onnxruntime then thresholds the score at 0.5
        w["class_weights"] = [abs(v) * 3 for v in w["class_weights"]]
    attrs = {**_sk_nodes(trees), **w, "classlabels_int64s": [4, 9], "post_transform": post}
    if base:
        attrs["base_values"] = base
    feeds = {"x": _f(25, 5)}
    name = f"gb_{post}_{base and len(base)}_{class_id}_{positive}"
    harness.check_onnx_model(_one("TreeEnsembleClassifier", feeds, attrs, ("label", "scores")), feeds, tmp_path, name)


@pytest.mark.parametrize("dtype", [np.int64, np.float32])
def test_one_hot_encoder(dtype, tmp_path):
    """Categories matched after truncation to int64 (onnxruntime), a repeated category sets its
    last slot only, and unknown values give all-zero rows."""
    x = (_rng.integers(-2, 6, (4, 3)) + (0.7 if dtype == np.float32 else 0)).astype(dtype)
    feeds = {"x": x}
    harness.check_onnx_model(_one("OneHotEncoder", feeds, {"cats_int64s": [3, 0, 5, 1, 0, -1]}), feeds, tmp_path,
                             f"ohe_{dtype.__name__}")


SVR = {
    # onnxruntime requires kernel_params; a LINEAR kernel ignores them.
    "linear_mode": {"coefficients": [0.5, -1.0, 2.0, 0.25], "rho": [0.3], "kernel_params": [0.7, 0.5, 2.0]},
    "linear": {"kernel_type": "LINEAR", "kernel_params": [0.7, 0.5, 2.0]},
    "rbf": {"kernel_type": "RBF", "kernel_params": [0.4, 0.0, 3.0]},
    "poly3": {"kernel_type": "POLY", "kernel_params": [0.5, 1.0, 3.0]},
    "poly_fractional": {"kernel_type": "POLY", "kernel_params": [0.5, 2.0, 1.5]},
    "sigmoid": {"kernel_type": "SIGMOID", "kernel_params": [0.3, -0.2, 0.0]},
    "rbf_one_class": {"kernel_type": "RBF", "kernel_params": [0.4, 0.0, 3.0], "one_class": 1},
}


@pytest.mark.parametrize("case", list(SVR))
def test_svm_regressor(case, tmp_path):
    attrs = dict(SVR[case])
    if "coefficients" not in attrs:
        attrs.update(n_supports=6, support_vectors=_f(6 * 4).tolist(), coefficients=_f(6).tolist(), rho=[-0.1])
    x = _rng.uniform(0, 1, (9, 4)).astype(np.float32)  # POLY with a fractional degree needs x·sv ≥ 0 …
    if case == "poly_fractional":
        attrs["support_vectors"] = np.abs(attrs["support_vectors"]).tolist()
    feeds = {"x": x}
    harness.check_onnx_model(_one("SVMRegressor", feeds, attrs), feeds, tmp_path, f"svr_{case}")



def _svc(classes, kernel, seed=0):
    """SVMClassifier attributes of a scikit-learn SVC (the way skl2onnx lays them out)."""
    from sklearn.svm import SVC

    x, y = _sk_data(60, 4, classes=classes)
    params = {"gamma": 0.3, "coef0": 0.5, "degree": 3}
    m = SVC(kernel=kernel.lower() if kernel != "SIGMOID" else "sigmoid", random_state=seed, **params).fit(x, y)
    return {"kernel_type": kernel, "kernel_params": [params["gamma"], params["coef0"], float(params["degree"])],
            "vectors_per_class": m.n_support_.tolist(), "support_vectors": m.support_vectors_.ravel().tolist(),
            "coefficients": m.dual_coef_.ravel().tolist(), "rho": m.intercept_.tolist(),
            "classlabels_ints": [int(c) * 10 + 1 for c in m.classes_]}


@pytest.mark.parametrize("kernel", ["LINEAR", "RBF", "POLY", "SIGMOID"])
@pytest.mark.parametrize("classes", [2, 3])
def test_svm_classifier_svc(kernel, classes, tmp_path):
    feeds = {"x": _f(21, 4)}
    attrs = _svc(classes, kernel)
    harness.check_onnx_model(_one("SVMClassifier", feeds, attrs, ("label", "scores")), feeds, tmp_path,
                             f"svc_{kernel}_{classes}")


@pytest.mark.parametrize("post", ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"])
@pytest.mark.parametrize("classes", [2, 3])
def test_svm_classifier_post_transform(post, classes, tmp_path):
    feeds = {"x": _f(21, 4)}
    attrs = {**_svc(classes, "RBF"), "post_transform": post}
    harness.check_onnx_model(_one("SVMClassifier", feeds, attrs, ("label", "scores")), feeds, tmp_path,
                             f"svc_post_{post}_{classes}")


@pytest.mark.parametrize("classes,positive", [(2, False), (2, True), (4, False)])
def test_svm_classifier_linear_mode(classes, positive, tmp_path):
    """No support vectors: one linear score per class plus rho[0] (onnxruntime's liblinear mode);
    two classes pick labels[1] by the top score's threshold."""
    coef = _f(classes * 4)
    if positive:
        coef = np.abs(coef) * 0.2
    attrs = {"coefficients": coef.tolist(), "rho": [0.1], "classlabels_ints": list(range(5, 5 + classes)),
             "kernel_params": [0.1, 0.0, 1.0]}
    feeds = {"x": _f(30, 4)}
    harness.check_onnx_model(_one("SVMClassifier", feeds, attrs, ("label", "scores")), feeds, tmp_path,
                             f"svc_linear_{classes}_{positive}")


def test_svm_classifier_probabilities_are_refused(tmp_path):
    attrs = {**_svc(3, "RBF"), "prob_a": [1.0, 1.0, 1.0], "prob_b": [0.0, 0.0, 0.0]}
    err = _refusal(tmp_path, _one("SVMClassifier", {"x": _f(3, 4)}, attrs, ("label", "scores")), "svc_proba")
    assert "prob_a" in err
