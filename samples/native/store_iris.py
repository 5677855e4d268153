"""Python sample for the device store and update agent (ctypes, standard library only): the same steps and output as
store_iris.c. A signed package is installed through the gate and served, an update arrives and is switched to, a
rollback goes back; with EDGE_AGENT_CONFIG set the update agent runs in the background for one check-in (that needs
libedgeagent.so, the C ABI plus the agent; libedgeruntime.so has the store but no agent).

    python3 store_iris.py path/to/libedgeruntime.so store_dir trust_dir first.edgepkg update.edgepkg
    EDGE_AGENT_CONFIG='{...}' python3 store_iris.py path/to/libedgeagent.so store_dir trust_dir first.edgepkg update.edgepkg
"""
import ctypes
import os
import sys
import time

EDGE_FLOAT = 1
MAX_RANK = 8
PREDICTION_ID_SIZE = 37
OUTCOMES = ["activated", "deferred", "rejected by the gate", "already active"]
REJECTED = 2


class EdgeTensor(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("element_type", ctypes.c_int32),
        ("rank", ctypes.c_int32),
        ("shape", ctypes.c_int64 * MAX_RANK),
        ("data", ctypes.c_void_p),
        ("data_bytes", ctypes.c_size_t),
    ]


class EdgeError(Exception):
    pass


def load(path):
    lib = ctypes.CDLL(path)
    p = ctypes.c_void_p
    lib.edge_last_error.restype = ctypes.c_char_p
    lib.edge_store_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(p)]
    lib.edge_store_install.argtypes = [p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int32), ctypes.c_char_p, ctypes.c_size_t]
    lib.edge_store_rollback.argtypes = [p, ctypes.c_char_p, ctypes.c_size_t]
    lib.edge_store_predict.argtypes = [p, ctypes.POINTER(EdgeTensor), ctypes.c_int32, ctypes.POINTER(EdgeTensor), ctypes.c_int32, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p]
    lib.edge_store_record_ground_truth.argtypes = [p, ctypes.c_char_p, ctypes.c_double]
    lib.edge_store_record_ground_truth_text.argtypes = [p, ctypes.c_char_p, ctypes.c_char_p]
    lib.edge_store_close.argtypes = [p]
    if hasattr(lib, "edge_agent_start"):  # libedgeagent.so only
        lib.edge_agent_start.argtypes = [p, ctypes.c_char_p, ctypes.POINTER(p)]
        lib.edge_agent_status.argtypes = [p, ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int32), ctypes.c_char_p, ctypes.c_size_t]
        lib.edge_agent_stop.argtypes = [p]
    return lib


def check(lib, what, rc):
    if rc != 0:
        raise EdgeError("%s failed: %d %s" % (what, rc, lib.edge_last_error().decode()))


def main():
    lib = load(sys.argv[1])
    store_dir, trust_dir, first, update = sys.argv[2:6]
    store = ctypes.c_void_p()
    check(lib, "open", lib.edge_store_open(store_dir.encode(), trust_dir.encode(), None, ctypes.byref(store)))

    def install(package):
        outcome, version = ctypes.c_int32(-1), ctypes.create_string_buffer(64)
        check(lib, "install", lib.edge_store_install(store, package.encode(), ctypes.byref(outcome), version, len(version)))
        print("installed %s: %s" % (version.value.decode(), OUTCOMES[outcome.value]))
        if outcome.value == REJECTED:
            raise EdgeError("the gate rejected %s" % package)

    def predict(values, truth):
        row = (ctypes.c_float * 4)(*values)
        tensor = EdgeTensor(b"features", EDGE_FLOAT, 2, (ctypes.c_int64 * MAX_RANK)(1, 4), ctypes.cast(row, ctypes.c_void_p), ctypes.sizeof(row))
        label, probabilities = ctypes.c_int64(-1), (ctypes.c_float * 3)()
        outputs = (EdgeTensor * 2)()
        outputs[0].name, outputs[0].data, outputs[0].data_bytes = b"label", ctypes.cast(ctypes.byref(label), ctypes.c_void_p), ctypes.sizeof(label)
        outputs[1].name, outputs[1].data, outputs[1].data_bytes = b"probabilities", ctypes.cast(probabilities, ctypes.c_void_p), ctypes.sizeof(probabilities)
        version, prediction_id = ctypes.create_string_buffer(64), ctypes.create_string_buffer(PREDICTION_ID_SIZE)
        check(lib, "predict", lib.edge_store_predict(store, ctypes.byref(tensor), 1, outputs, 2, version, len(version), prediction_id))
        print("served by %s: label=%d probabilities=%s" % (version.value.decode(), label.value, ",".join("%.6f" % p for p in probabilities)))
        check(lib, "ground truth", lib.edge_store_record_ground_truth(store, prediction_id.value, truth))

    install(first)
    predict([5.1, 3.5, 1.4, 0.2], 0)
    install(update)  # an update arrives: verified and gated before it serves
    predict([6.3, 2.5, 4.9, 1.5], 1)
    version = ctypes.create_string_buffer(64)
    check(lib, "rollback", lib.edge_store_rollback(store, version, len(version)))
    print("rolled back to %s" % version.value.decode())
    predict([6.7, 3.0, 5.2, 2.3], 2)

    config = os.environ.get("EDGE_AGENT_CONFIG")
    if config:
        agent = ctypes.c_void_p()
        check(lib, "agent start", lib.edge_agent_start(store, config.encode(), ctypes.byref(agent)))
        cycles, last, message = ctypes.c_int64(0), ctypes.c_int32(0), ctypes.create_string_buffer(256)
        deadline = time.monotonic() + 60
        while cycles.value == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
            check(lib, "agent status", lib.edge_agent_status(agent, ctypes.byref(cycles), ctypes.byref(last), message, len(message)))
        print("agent: %d check-in(s), last %d %s" % (cycles.value, last.value, message.value.decode()))
        check(lib, "agent stop", lib.edge_agent_stop(agent))
        print("agent stopped")

    check(lib, "close", lib.edge_store_close(store))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except EdgeError as error:
        sys.stderr.write("%s\n" % error)
        sys.exit(1)
