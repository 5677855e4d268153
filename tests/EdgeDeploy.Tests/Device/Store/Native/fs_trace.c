/*
 * LD_PRELOAD shim for StoreCrashTests: appends every rename and every fsync (with the path of the file or directory
 * flushed) to the file named by EDGE_FS_TRACE, one line each, in the order the process made them. It shows whether a
 * rename is followed by a flush of its directory, which a power cut (unlike kill -9) needs and no test can cut.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void note(const char *kind, const char *first, const char *second)
{
    const char *log = getenv("EDGE_FS_TRACE");
    if (log == NULL) {
        return;
    }

    char line[2 * PATH_MAX + 32];
    int length = snprintf(line, sizeof line, "%s %s%s%s\n", kind, first, second ? " " : "", second ? second : "");
    if (length <= 0 || (size_t)length >= sizeof line) {
        return;
    }

    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        (void)!write(fd, line, (size_t)length); /* one write on O_APPEND: lines from several threads never interleave */
        close(fd);
    }
}

static void note_fd(const char *kind, int fd)
{
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    path[n > 0 ? n : 0] = '\0';
    note(kind, path, NULL);
}

int rename(const char *from, const char *to)
{
    int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    int result = real(from, to);
    if (result == 0) {
        note("rename", from, to);
    }
    return result;
}

/* fsync and fdatasync: call the real one, log the path it flushed. */
static int traced_sync(const char *name, int fd)
{
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, name);
    int result = real(fd);
    if (result == 0) {
        note_fd("fsync", fd);
    }
    return result;
}

int fsync(int fd)
{
    return traced_sync("fsync", fd);
}

int fdatasync(int fd)
{
    return traced_sync("fdatasync", fd);
}
