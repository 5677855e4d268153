"""Python sample for libedgeruntime (ctypes, standard library only): the same steps and output as predict_iris.c.

    python3 predict_iris.py path/to/libedgeruntime.so model.onnx|package.edgepkg [trust_dir] < rows.txt
"""
import ctypes
import sys

EDGE_FLOAT = 1
MAX_RANK = 8


class EdgeTensor(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("element_type", ctypes.c_int32),
        ("rank", ctypes.c_int32),
        ("shape", ctypes.c_int64 * MAX_RANK),
        ("data", ctypes.c_void_p),
        ("data_bytes", ctypes.c_size_t),
    ]


def main():
    lib = ctypes.CDLL(sys.argv[1])
    lib.edge_version.restype = ctypes.c_char_p
    lib.edge_last_error.restype = ctypes.c_char_p
    lib.edge_model_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.edge_model_tensor_count.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int32)]
    lib.edge_model_tensor_info.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int32, ctypes.POINTER(EdgeTensor)]
    lib.edge_predict.argtypes = [ctypes.c_void_p, ctypes.POINTER(EdgeTensor), ctypes.c_int32, ctypes.POINTER(EdgeTensor), ctypes.c_int32]
    lib.edge_model_close.argtypes = [ctypes.c_void_p]

    model = ctypes.c_void_p()
    trust = sys.argv[3].encode() if len(sys.argv) > 3 else None
    rc = lib.edge_model_open(sys.argv[2].encode(), trust, ctypes.byref(model))
    if rc != 0:
        sys.stderr.write("open failed: %d %s\n" % (rc, lib.edge_last_error().decode()))
        return 1
    print("runtime %s" % lib.edge_version().decode())

    for is_output in (0, 1):
        count = ctypes.c_int32()
        lib.edge_model_tensor_count(model, is_output, ctypes.byref(count))
        for i in range(count.value):
            info = EdgeTensor()
            lib.edge_model_tensor_info(model, is_output, i, ctypes.byref(info))
            shape = ",".join(str(info.shape[d]) for d in range(info.rank))
            print("%s %s type=%d shape=[%s]" % ("output" if is_output else "input", info.name.decode(), info.element_type, shape))

    def predict(values, shape):
        row = (ctypes.c_float * len(values))(*values)
        tensor = EdgeTensor(b"features", EDGE_FLOAT, len(shape), (ctypes.c_int64 * MAX_RANK)(*shape), ctypes.cast(row, ctypes.c_void_p), ctypes.sizeof(row))
        label = ctypes.c_int64(-1)
        probabilities = (ctypes.c_float * 3)()
        outputs = (EdgeTensor * 2)()
        outputs[0].name, outputs[0].data, outputs[0].data_bytes = b"label", ctypes.cast(ctypes.byref(label), ctypes.c_void_p), ctypes.sizeof(label)
        outputs[1].name, outputs[1].data, outputs[1].data_bytes = b"probabilities", ctypes.cast(probabilities, ctypes.c_void_p), ctypes.sizeof(probabilities)
        rc = lib.edge_predict(model, ctypes.byref(tensor), 1, outputs, 2)
        return rc, label.value, list(probabilities)

    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 4:
            continue
        rc, label, probabilities = predict([float(p) for p in parts], [1, 4])
        if rc != 0:
            sys.stderr.write("predict failed: %d %s\n" % (rc, lib.edge_last_error().decode()))
            return 1
        # ctypes floats are float32 values widened to double, as C's printf sees them: same digits.
        print("label=%d probabilities=%s" % (label, ",".join("%.6f" % p for p in probabilities)))

    rc, _, _ = predict([1.0, 2.0, 3.0], [1, 3])
    print("bad input: %d %s" % (rc, lib.edge_last_error().decode()))
    lib.edge_model_close(model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
