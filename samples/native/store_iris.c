/* C sample for the device store and update agent (libedgeagent.so: libedgeruntime.so's C ABI plus the agent; an app
 * without the agent links libedgeruntime.so and includes only edgeruntime.h): installs a signed package through the gate, serves it,
 * records ground truth, then an update arrives (a newer signed package) and the store switches to it; a rollback goes
 * back. With EDGE_AGENT_CONFIG set (the JSON of edge_agent_start) it also runs the update agent in the background for
 * one check-in and stops it.
 *   gcc -I<include> store_iris.c -L<lib dir> -ledgeagent -Wl,-rpath,<lib dir> -o store_iris
 *   ./store_iris store_dir trust_dir first.edgepkg update.edgepkg
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "edgeagent.h"

static const char *outcomes[] = { "activated", "deferred", "rejected by the gate", "already active" };

static int fail(const char *what, int code) {
    fprintf(stderr, "%s failed: %d %s\n", what, code, edge_last_error());
    return 1;
}

/* One prediction through the store: the served version, the label, and ground truth recorded for it. */
static int predict(edge_store *store, float a, float b, float c, float d, double truth) {
    float row[4] = { a, b, c, d };
    edge_tensor input = { .name = "features", .element_type = EDGE_FLOAT, .rank = 2, .shape = { 1, 4 }, .data = row, .data_bytes = sizeof row };
    int64_t label = -1;
    float probabilities[3];
    edge_tensor outputs[2] = {
        { .name = "label", .data = &label, .data_bytes = sizeof label },
        { .name = "probabilities", .data = probabilities, .data_bytes = sizeof probabilities },
    };
    char version[64], id[EDGE_PREDICTION_ID_SIZE];
    int rc = edge_store_predict(store, &input, 1, outputs, 2, version, sizeof version, id);
    if (rc != EDGE_OK) return fail("predict", rc);
    printf("served by %s: label=%lld probabilities=%.6f,%.6f,%.6f\n", version, (long long)label, probabilities[0], probabilities[1], probabilities[2]);
    rc = edge_store_record_ground_truth(store, id, truth);
    if (rc != EDGE_OK) return fail("ground truth", rc);
    return 0;
}

static int install(edge_store *store, const char *package) {
    int32_t outcome = -1;
    char version[64];
    int rc = edge_store_install(store, package, &outcome, version, sizeof version);
    if (rc != EDGE_OK) return fail("install", rc);
    printf("installed %s: %s\n", version, outcome >= 0 && outcome <= 3 ? outcomes[outcome] : "?");
    return outcome == EDGE_INSTALL_REJECTED;
}

static int run_agent(edge_store *store, const char *config) {
    edge_agent *agent = NULL;
    int rc = edge_agent_start(store, config, &agent);
    if (rc != EDGE_OK) return fail("agent start", rc);
    int64_t cycles = 0;
    int32_t last = 0;
    char message[256] = "";
    for (int i = 0; i < 600 && cycles == 0; i++) { /* up to 60 s for the first check-in */
        struct timespec pause = { 0, 100 * 1000 * 1000 };
        nanosleep(&pause, NULL);
        rc = edge_agent_status(agent, &cycles, &last, message, sizeof message);
        if (rc != EDGE_OK) return fail("agent status", rc);
    }
    printf("agent: %lld check-in(s), last %d %s\n", (long long)cycles, last, message);
    rc = edge_agent_stop(agent);
    if (rc != EDGE_OK) return fail("agent stop", rc);
    printf("agent stopped\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s store_dir trust_dir first.edgepkg update.edgepkg\n", argv[0]);
        return 2;
    }

    edge_store *store = NULL;
    int rc = edge_store_open(argv[1], argv[2], NULL, &store);
    if (rc != EDGE_OK) return fail("open", rc);

    if (install(store, argv[3]) || predict(store, 5.1f, 3.5f, 1.4f, 0.2f, 0)) return 1;

    /* An update arrives: verified and gated before it serves; calls in flight keep the version they started on. */
    if (install(store, argv[4]) || predict(store, 6.3f, 2.5f, 4.9f, 1.5f, 1)) return 1;

    char version[64];
    rc = edge_store_rollback(store, version, sizeof version);
    if (rc != EDGE_OK) return fail("rollback", rc);
    printf("rolled back to %s\n", version);
    if (predict(store, 6.7f, 3.0f, 5.2f, 2.3f, 2)) return 1;

    const char *config = getenv("EDGE_AGENT_CONFIG");
    if (config != NULL && *config != '\0' && run_agent(store, config)) return 1;

    rc = edge_store_close(store);
    if (rc != EDGE_OK) return fail("close", rc);
    return 0;
}
