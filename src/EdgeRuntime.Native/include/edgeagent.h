/* edgeagent.h: the update agent of EdgeDeploy's C ABI, exported by libedgeagent.so only.
 *
 * libedgeagent.so is libedgeruntime.so (every function of edgeruntime.h, which this header includes) plus the update
 * agent: it checks in with an update server in the background and installs and switches the versions it is assigned,
 * through the store. It carries the gRPC client (HTTP/2, TLS, protobuf) that libedgeruntime.so leaves out. Link one
 * of the two libraries, not both: each is a self-contained native AOT library with its own runtime, and a store opened
 * through one cannot be passed to the other.
 */
#ifndef EDGEAGENT_H
#define EDGEAGENT_H

#include "edgeruntime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct edge_agent edge_agent;

/* Starts the update agent in the background on a thread of the library. config_json is a JSON object:
 *   "server" (https://host:port, or http:// on loopback), "device_id", "server_key_file" (PEM of the server's
 *   assignment-signing key), "state_dir" (credential, partial downloads) - required;
 *   "enrollment_token", "interval_seconds" (default 60), "ca_file", "client_cert_file", "client_key_file",
 *   "offline_grace_seconds", "tags" (array of strings) - optional. */
int edge_agent_start(edge_store *store, const char *config_json, edge_agent **agent);

/* Cycles completed and the last cycle's result: 0, EDGE_E_UPDATE_SERVER_UNAVAILABLE, EDGE_E_UPDATE_FAILED or another
 * code; message (NULL allowed) gets that cycle's one-line summary, truncated to message_capacity. */
int edge_agent_status(edge_agent *agent, int64_t *cycles, int32_t *last_code, char *message, size_t message_capacity);

/* Stops the agent, waiting for a check-in in flight to end, and releases it. NULL is ignored. */
int edge_agent_stop(edge_agent *agent);

#ifdef __cplusplus
}
#endif

#endif /* EDGEAGENT_H */
