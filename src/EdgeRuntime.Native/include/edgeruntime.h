/*
 * edgeruntime.h - C ABI of libedgeruntime (EdgeDeploy runtime, native AOT).
 *
 * Every function returns 0 on success or an EdgeErrorCode value (the same numbers as the .NET EdgeErrorCode enum);
 * no function throws or aborts on bad input. edge_last_error() returns the calling thread's last error message
 * (UTF-8, valid until that thread's next call into the library).
 *
 * Thread safety: one model may be used by several threads at once; close it only after every call on it returned.
 */
#ifndef EDGERUNTIME_H
#define EDGERUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EDGE_OK 0
#define EDGE_E_INVALID_ARGUMENT 1
#define EDGE_E_MODEL_NOT_FOUND 2
#define EDGE_E_UNSUPPORTED_MODEL 4
#define EDGE_E_PAYLOAD_TOO_LARGE 5 /* also: an output buffer is too small (data_bytes says what is needed) */
#define EDGE_E_MISSING_INPUT 10
#define EDGE_E_INPUT_TYPE_MISMATCH 12
#define EDGE_E_INPUT_SHAPE_MISMATCH 14
#define EDGE_E_NON_FINITE_INPUT 15
#define EDGE_E_TENSOR_DATA_MISMATCH 16
#define EDGE_E_INVALID_OUTPUT 17 /* no such output, or edge_predict asked for an output that is not a tensor */
#define EDGE_E_FILE_HASH_MISMATCH 63
#define EDGE_E_SIGNATURE_THRESHOLD_NOT_MET 68
#define EDGE_E_ASSIGNMENT_MALFORMED 91 /* update agent: a signed assignment names an unsafe hash, model or version */
#define EDGE_E_ASSIGNMENT_REPLAYED 92 /* update agent: a signed assignment older than one already accepted */

/* Element types: the ONNX TensorProto numbering. String tensors are not available through the C ABI (string map keys
   are: edge_value_map_string_key). EDGE_BFLOAT16 elements are uint16_t bit patterns (the upper half of a float32). */
enum edge_element_type {
    EDGE_FLOAT = 1, EDGE_UINT8 = 2, EDGE_INT8 = 3, EDGE_UINT16 = 4, EDGE_INT16 = 5, EDGE_INT32 = 6,
    EDGE_INT64 = 7, EDGE_BOOL = 9, EDGE_FLOAT16 = 10, EDGE_DOUBLE = 11, EDGE_UINT32 = 12, EDGE_UINT64 = 13,
    EDGE_BFLOAT16 = 16
};

/* What an output value is. EDGE_VALUE_NONE: an optional output that holds nothing in this prediction. */
enum edge_value_kind { EDGE_VALUE_NONE = 0, EDGE_VALUE_TENSOR = 1, EDGE_VALUE_SEQUENCE = 2, EDGE_VALUE_MAP = 3 };

#define EDGE_MAX_RANK 8

typedef struct edge_tensor {
    const char *name;          /* input/output name (UTF-8) */
    int32_t element_type;      /* enum edge_element_type */
    int32_t rank;
    int64_t shape[EDGE_MAX_RANK];
    void *data;                /* inputs: read; outputs: written */
    size_t data_bytes;         /* inputs: size of data; outputs: capacity in, bytes written (or needed) out */
} edge_tensor;

typedef struct edge_model edge_model;

/* The runtime version, e.g. "0.1.0". */
const char *edge_version(void);

/* The calling thread's last error message, or NULL after a success. */
const char *edge_last_error(void);

/* Opens an .onnx file (trust_dir NULL) or a signed .edgepkg, verified against the trust directory first. */
int edge_model_open(const char *path, const char *trust_dir, edge_model **model);

/* Number of inputs (is_output 0) or outputs (is_output 1). */
int edge_model_tensor_count(const edge_model *model, int is_output, int32_t *count);

/* Describes input/output `index`: name (valid until close), element type, rank, shape (-1 = dynamic). */
int edge_model_tensor_info(const edge_model *model, int is_output, int32_t index, edge_tensor *info);

/* Validates inputs (names, types, shapes, NaN) and runs the model, writing the requested outputs into caller buffers.
   Tensor outputs only: an output that is a sequence, a map or an optional value that is absent in this run fails with
   EDGE_E_INVALID_OUTPUT (read those with edge_predict_values; a present optional tensor is written like any tensor). */
int edge_predict(edge_model *model, const edge_tensor *inputs, int32_t input_count, edge_tensor *outputs, int32_t output_count);

/* Output `index`'s kind (enum edge_value_kind: tensor, sequence or map) and, if `optional` is not NULL, 1 when the output
   is optional (a prediction may then hold EDGE_VALUE_NONE: edge_value_info reports kind EDGE_VALUE_NONE and count 0, and
   reading it as a tensor fails with EDGE_E_INVALID_OUTPUT). edge_model_tensor_info describes a sequence or map output
   with element_type 0 (or, for a map, its value type) and rank 0. */
int edge_model_output_kind(const edge_model *model, int32_t index, int32_t *kind, int32_t *optional);

/* Outputs of any kind (a scikit-learn ZipMap's sequence of maps, a sequence of tensors, optional values).
   edge_predict_values validates and runs the model and keeps every output in *prediction, which stays valid until
   edge_prediction_free (the model may be closed first). A value is addressed by the output's name and a path of `depth`
   item indexes into nested sequences (path may be NULL when depth is 0): e.g. name "output_probability", path {2}, depth 1
   is the third row's class->probability map. */
typedef struct edge_prediction edge_prediction;

int edge_predict_values(edge_model *model, const edge_tensor *inputs, int32_t input_count, edge_prediction **prediction);

/* The value's kind (enum edge_value_kind) and, if `count` is not NULL, its size: sequence items, map entries, tensor
   elements, 0 for none. */
int edge_value_info(const edge_prediction *prediction, const char *name, const int32_t *path, int32_t depth, int32_t *kind, int64_t *count);

/* Copies a tensor value into `output` (output->name is ignored; data/data_bytes as for edge_predict's outputs, including
   EDGE_E_PAYLOAD_TOO_LARGE with the size needed). EDGE_E_INVALID_OUTPUT when the value is not a tensor. */
int edge_value_tensor(const edge_prediction *prediction, const char *name, const int32_t *path, int32_t depth, edge_tensor *output);

/* Copies a map's keys (1-D, EDGE_INT64) and values (1-D, the map's value type) into two caller buffers, in the map's
   order. `keys` may be NULL to copy the values only: the way to read a string-keyed map, whose keys come one by one from
   edge_value_map_string_key (passing a keys buffer for string keys fails with EDGE_E_INVALID_OUTPUT). */
int edge_value_map(const edge_prediction *prediction, const char *name, const int32_t *path, int32_t depth, edge_tensor *keys, edge_tensor *values);

/* Key `index` of a string-keyed map (UTF-8, valid until edge_prediction_free). */
int edge_value_map_string_key(const edge_prediction *prediction, const char *name, const int32_t *path, int32_t depth, int64_t index, const char **key);

/* Releases a prediction. NULL is ignored. */
void edge_prediction_free(edge_prediction *prediction);

/* Releases the model. NULL is ignored. */
void edge_model_close(edge_model *model);

/* ---- Device store ----------------------------------------------------------------------------------------------------
 * The store installs signed packages through the gate (verification against the device trust directory, the package's
 * end-to-end and confidence sets, its metric bounds), keeps earlier versions for rollback, and serves the active one.
 * The update agent (edge_agent_*, include/edgeagent.h) is in libedgeagent.so, which exports everything declared here
 * too: link libedgeagent.so instead of libedgeruntime.so (never both) to run it; an app that does not update over the
 * network links libedgeruntime.so and carries no gRPC, HTTP or TLS client.
 * Strings written into caller buffers are NUL-terminated UTF-8; a buffer too small fails with EDGE_E_PAYLOAD_TOO_LARGE. */

#define EDGE_E_SESSION_CONFIGURATION_FAILED 21
#define EDGE_E_PACKAGE_NOT_FOUND 60
#define EDGE_E_SIGNATURE_UNKNOWN_KEY 66
#define EDGE_E_UPDATE_SERVER_UNAVAILABLE 93 /* agent: server unreachable or refusing; the device keeps serving */
#define EDGE_E_UPDATE_FAILED 94             /* agent: an assigned version failed download, verification or the gate */

/* edge_store_install outcomes (the .NET InstallOutcome). */
enum edge_install_outcome {
    EDGE_INSTALL_ACTIVATED = 0,      /* verified, gated and now serving */
    EDGE_INSTALL_DEFERRED = 1,       /* gated; the swap was deferred */
    EDGE_INSTALL_REJECTED = 2,       /* verified but failed the gate: the previous version keeps serving */
    EDGE_INSTALL_ALREADY_ACTIVE = 3  /* this exact version already serves */
};

#define EDGE_PREDICTION_ID_SIZE 37 /* 36 characters and the NUL */

typedef struct edge_store edge_store;

/* Opens (or creates) a store in store_dir; packages are verified against trust_dir (root.json); telemetry_db (SQLite
 * outbox, NULL for none) records predictions and ground truth for the agent to upload. */
int edge_store_open(const char *store_dir, const char *trust_dir, const char *telemetry_db, edge_store **store);

/* Verifies, gates and (when it passes) activates a signed .edgepkg. A refused signature or hash is an error code and
 * nothing changes; a gate failure is success with *outcome EDGE_INSTALL_REJECTED. version (NULL allowed) gets the
 * package's version. */
int edge_store_install(edge_store *store, const char *package_path, int32_t *outcome, char *version, size_t version_capacity);

/* Switches back to the version that served before the current one; version gets the version now serving. */
int edge_store_rollback(edge_store *store, char *version, size_t version_capacity);

/* The serving version ("" before the first install). */
int edge_store_active_version(edge_store *store, char *version, size_t version_capacity);

/* Predicts with the serving version: inputs and outputs as edge_predict. version gets the version that served the call
 * (a swap never fails a call), prediction_id (NULL allowed, EDGE_PREDICTION_ID_SIZE bytes) its id for ground truth. */
int edge_store_predict(edge_store *store, const edge_tensor *inputs, int32_t input_count, edge_tensor *outputs,
                       int32_t output_count, char *version, size_t version_capacity, char *prediction_id);

/* Attaches the true label to an earlier prediction: scored per version (health reports) and recorded by telemetry. */
int edge_store_record_ground_truth(edge_store *store, const char *prediction_id, double label);

/* Attaches the true text (NUL-terminated UTF-8, at most 1024 UTF-16 code units) to an earlier prediction of a sequence
 * model (OCR, speech): recorded by telemetry with a NaN label, so the server scores the package's CER/WER metrics
 * online against the text the device decoded. EDGE_E_INVALID_ARGUMENT for a NULL or too long text or an unknown id form. */
int edge_store_record_ground_truth_text(edge_store *store, const char *prediction_id, const char *text);

/* Attaches the true boxes to an earlier prediction of a detector: box_count boxes as x1, y1, x2, y2 (4 * box_count
 * floats, the coordinates the model's boxes use) and their classes (box_count values), at most 100; box_count 0 records
 * an image with nothing in it (boxes and classes may then be NULL). Recorded by telemetry with a NaN label, so the
 * server scores the package's mAP metric online. EDGE_E_INVALID_ARGUMENT for a count outside 0..100, NULL arrays, a
 * non-finite coordinate, a class outside 0..INT32_MAX or an unknown id form. */
int edge_store_record_ground_truth_boxes(edge_store *store, const char *prediction_id, const float *boxes,
                                         const int64_t *classes, int32_t box_count);

/* Closes the store. NULL is ignored. Fails with EDGE_E_INVALID_ARGUMENT while an agent still runs on it. */
int edge_store_close(edge_store *store);

#ifdef __cplusplus
}
#endif

#endif /* EDGERUNTIME_H */
