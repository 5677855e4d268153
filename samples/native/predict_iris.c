/* C sample for libedgeruntime: opens a model or signed package, prints its schema, predicts iris rows read from stdin
 * (four numbers per line) and prints each label and the class probabilities; then shows a refused input.
 *   gcc -I<include> predict_iris.c -L<lib dir> -ledgeruntime -Wl,-rpath,<lib dir> -o predict_iris
 *   ./predict_iris model.onnx|package.edgepkg [trust_dir] < rows.txt
 */
#include <stdio.h>
#include <stdlib.h>
#include "edgeruntime.h"

static int fail(const char *what, int code) {
    fprintf(stderr, "%s failed: %d %s\n", what, code, edge_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s model [trust_dir]\n", argv[0]);
        return 2;
    }

    edge_model *model = NULL;
    int rc = edge_model_open(argv[1], argc > 2 ? argv[2] : NULL, &model);
    if (rc != EDGE_OK) return fail("open", rc);
    printf("runtime %s\n", edge_version());

    for (int is_output = 0; is_output < 2; is_output++) {
        int32_t count = 0;
        edge_model_tensor_count(model, is_output, &count);
        for (int32_t i = 0; i < count; i++) {
            edge_tensor info;
            edge_model_tensor_info(model, is_output, i, &info);
            printf("%s %s type=%d shape=[", is_output ? "output" : "input", info.name, info.element_type);
            for (int d = 0; d < info.rank; d++) printf(d ? ",%lld" : "%lld", (long long)info.shape[d]);
            printf("]\n");
        }
    }

    float row[4];
    while (scanf("%f %f %f %f", &row[0], &row[1], &row[2], &row[3]) == 4) {
        edge_tensor input = { .name = "features", .element_type = EDGE_FLOAT, .rank = 2, .shape = { 1, 4 }, .data = row, .data_bytes = sizeof row };
        int64_t label = -1;
        float probabilities[3];
        edge_tensor outputs[2] = {
            { .name = "label", .data = &label, .data_bytes = sizeof label },
            { .name = "probabilities", .data = probabilities, .data_bytes = sizeof probabilities },
        };
        rc = edge_predict(model, &input, 1, outputs, 2);
        if (rc != EDGE_OK) return fail("predict", rc);
        printf("label=%lld probabilities=%.6f,%.6f,%.6f\n", (long long)label, probabilities[0], probabilities[1], probabilities[2]);
    }

    /* Bad input: three features instead of four. The call fails with a code and a message; nothing crashes. */
    float short_row[3] = { 1, 2, 3 };
    edge_tensor bad = { .name = "features", .element_type = EDGE_FLOAT, .rank = 2, .shape = { 1, 3 }, .data = short_row, .data_bytes = sizeof short_row };
    int64_t label = 0;
    edge_tensor out = { .name = "label", .data = &label, .data_bytes = sizeof label };
    rc = edge_predict(model, &bad, 1, &out, 1);
    printf("bad input: %d %s\n", rc, edge_last_error());

    edge_model_close(model);
    return 0;
}
