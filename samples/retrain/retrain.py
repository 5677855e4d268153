#!/usr/bin/python3
"""Retrains a tabular classifier from an `edge monitor export --format csv` file and writes what `edge pack` needs.

Usage: retrain.py EXPORT.csv BASE_CARD.json OUT_DIR

The export's columns: prediction_id, time, device_id, model, version, slices, predicted, label, has_inputs, then one
column per feature. Rows with recorded inputs (has_inputs=true) and a label are the training data; they are split 70/30
(random_state=7) into training and held-out rows, identical inputs kept on one side (devices replay the same inputs, so a
plain row split would leak), or stratified by row when there are under 10 distinct inputs. The model is scikit-learn's LogisticRegression, written
as the same ONNX graph as models/make_models.py's iris model: features[batch, F] -> probabilities[batch, K], label[batch].

OUT_DIR gets: model.onnx, card.json (BASE_CARD with this training's metrics, each slice's held-out figures recomputed
from its `where` predicate, provenance and lineage), e2e.jsonl (held-out inputs with the model's outputs),
confidence.jsonl (held-out inputs with labels), train.csv (training features: the drift reference), and
summary.json (model, base version, rows used, accuracy) for the shell script. Exits 1 when there is too little data.
"""
import csv
import datetime
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GroupShuffleSplit, train_test_split

FIXED = ["prediction_id", "time", "device_id", "model", "version", "slices", "predicted", "label", "has_inputs"]
OPSET = 17
IR_VERSION = 8
MIN_ROWS = 20


def fail(message):
    print("retrain: " + message, file=sys.stderr)
    sys.exit(1)


def read_export(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or header[:len(FIXED)] != FIXED:
            fail(f"{path} is not an `edge monitor export --format csv` file (its first columns must be {','.join(FIXED)}).")
        features = header[len(FIXED):]
        rows = [dict(zip(header, r)) for r in reader]
    if not features:
        fail("the export has no feature columns.")
    usable = [r for r in rows if r["has_inputs"] == "true" and r["label"] != "" and all(r[c] != "" for c in features)]
    if len(usable) < MIN_ROWS:
        fail(f"{len(usable)} rows have recorded inputs and a label; at least {MIN_ROWS} are needed "
             f"(devices record inputs with `edge agent --raw-input-sample`, for cards whose privacy.rawInputs is Allowed).")
    models = {r["model"] for r in usable}
    versions = {r["version"] for r in usable}
    if len(models) != 1 or len(versions) != 1:
        fail(f"the export mixes models or versions ({sorted(models)} {sorted(versions)}); export one version.")
    x = np.array([[float(r[c]) for c in features] for r in usable], dtype=np.float32)
    y = np.array([int(float(r["label"])) for r in usable], dtype=np.int64)
    return features, x, y, models.pop(), versions.pop(), len(rows)


def onnx_model(clf, n_features, n_classes, doc):
    w = np.zeros((n_features, n_classes), dtype=np.float32)
    b = np.full((n_classes,), -1e4, dtype=np.float32)  # a class absent from the training data is never predicted
    coef, intercept = clf.coef_, clf.intercept_
    if len(clf.classes_) == 2:  # binary LogisticRegression keeps one row: class 1 against class 0
        coef, intercept = np.vstack([-coef[0] / 2, coef[0] / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
    for row, cls in enumerate(clf.classes_):
        w[:, cls] = coef[row]
        b[cls] = intercept[row]
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["features", "W"], ["xw"]),
            helper.make_node("Add", ["xw", "B"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
            helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
        ],
        "retrained_logreg",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", n_features])],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", n_classes]),
            helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]),
        ],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="edgedeploy-retrain")
    model.ir_version = IR_VERSION
    model.doc_string = doc
    onnx.checker.check_model(model)
    return model, w, b


def softmax_rows(x, w, b):
    logits = x.astype(np.float32) @ w + b
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def f32_list(a):
    return [float(np.float32(v)) for v in np.asarray(a, dtype=np.float32).ravel()]


def in_slice(x, features, where):
    mask = np.ones(len(x), dtype=bool)
    for c in where:
        if c["feature"] not in features:
            return None
        values = x[:, features.index(c["feature"])]
        if "min" in c:
            mask &= values >= c["min"]
        if "max" in c:
            mask &= values < c["max"]
    return mask


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    export_path, card_path, out = sys.argv[1:]
    features, x, y, model_name, base_version, exported = read_export(export_path)
    with open(card_path) as f:
        card = json.load(f)

    n_classes = max(int(y.max()) + 1, int(os.environ.get("RETRAIN_CLASSES", "0")))
    # Devices replay and re-serve the same inputs, so identical rows are one group: a held-out row never repeats a
    # training row (a plain row split would leak and overstate the held-out accuracy the gate is built from).
    groups = np.unique(np.round(x, 6), axis=0, return_inverse=True)[1].ravel()
    if len(set(groups.tolist())) >= 10:
        train_idx, test_idx = next(GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=7).split(x, y, groups))
        x_train, x_test, y_train, y_test = x[train_idx], x[test_idx], y[train_idx], y[test_idx]
    else:
        stratify = y if min(np.bincount(y)[np.bincount(y) > 0]) >= 2 else None
        x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=7, stratify=stratify)
    if len(set(y_train.tolist())) < 2:
        fail("the training rows hold a single class; export a wider window.")
    c = float(os.environ.get("RETRAIN_C", "1.0"))
    clf = LogisticRegression(C=c, max_iter=1000, random_state=7).fit(x_train, y_train)
    model, w, b = onnx_model(clf, len(features), n_classes, f"{model_name} retrained from {exported} exported predictions of {base_version} (LogisticRegression C={c}).")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())

    proba = softmax_rows(x_test, w, b)
    label = proba.argmax(axis=1)
    acc = float(accuracy_score(y_test, label))
    with open(os.path.join(out, "e2e.jsonl"), "w") as f:
        for i in range(len(x_test)):
            f.write(json.dumps({"inputs": {"features": {"shape": [1, len(features)], "data": f32_list(x_test[i])}},
                                "outputs": {"probabilities": {"shape": [1, n_classes], "data": f32_list(proba[i])},
                                            "label": {"shape": [1], "data": [int(label[i])]}}}, separators=(",", ":")) + "\n")
    with open(os.path.join(out, "confidence.jsonl"), "w") as f:
        for i in range(len(x_test)):
            f.write(json.dumps({"inputs": {"features": {"shape": [1, len(features)], "data": f32_list(x_test[i])}}, "label": int(y_test[i])},
                               separators=(",", ":")) + "\n")
    with open(os.path.join(out, "train.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(features)
        for row in x_train:
            writer.writerow([repr(float(v)) for v in row])

    # The card: the base card's text, privacy policy, features and slices, with this training's figures.
    with open(export_path, "rb") as f:
        export_sha = hashlib.sha256(f.read()).hexdigest()
    mc = card["modelCard"]
    mc["provenance"] = (f"scikit-learn LogisticRegression (C={c}) retrained by samples/retrain on {len(x)} labelled predictions of "
                        f"{model_name} {base_version} exported from the fleet (export sha256 {export_sha[:16]}; 70/30 split, random_state=7).")
    mc["metrics"] = {"accuracy": acc, "f1_macro": float(f1_score(y_test, label, average="macro"))}
    for s in mc.get("slices", []):
        mask = in_slice(x_test, features, s.get("where") or []) if s.get("where") else None
        if mask is None:
            continue
        s["count"] = int(mask.sum())
        s["definition"] = "held-out exported rows: " + ", ".join(
            f"{c.get('min', '-inf')} <= {c['feature']} < {c.get('max', 'inf')}" for c in s["where"])
        s["metrics"] = {"accuracy": float(accuracy_score(y_test[mask], label[mask]))} if mask.any() else {}
    if "fairness" in mc:
        print("retrain: note: the card's fairness section is carried over unchanged; its figures are not recomputed here.", file=sys.stderr)
    card["features"] = [{"name": n, "kind": "Numeric", "min": float(np.min(x_train[:, i])), "max": float(np.max(x_train[:, i])), "missing": "Reject"}
                        for i, n in enumerate(features)]
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    card.setdefault("versionSync", {})["trainingData"] = f"fleet-export-{export_sha[:16]}"
    card["versionSync"]["model"] = f"logreg-retrained-{export_sha[:8]}"
    card["hyperparameters"] = {"C": repr(c), "max_iter": "1000", "penalty": "l2", "solver": "lbfgs"}
    audit = card.setdefault("audit", {})
    audit["builtBy"] = "samples/retrain/retrain.py"
    audit["builtAt"] = now
    with open(os.path.join(out, "card.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    summary = {"model": model_name, "baseVersion": base_version, "rows": int(len(x)), "train": int(len(x_train)),
               "heldOut": int(len(x_test)), "accuracy": acc, "classes": n_classes}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f)
    print(f"retrain: {model_name} from {base_version}: {len(x)} rows ({len(x_train)} train, {len(x_test)} held out), held-out accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
