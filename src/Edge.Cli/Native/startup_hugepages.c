/*
 * Cold start (README, "Cold start and size"): linked into the native AOT `edge` and `edge-net` binaries on Linux
 * (Edge.Cli.csproj).
 *
 * Before main, the .NET runtime rehydrates its type data into the zero-filled `.hydrated` section at the end of the
 * binary's writable segment (2.6 MB for `edge`, 7 MB for `edge-net`, which carries Kestrel and the fleet client).
 * Written page by page that is one page fault per 4 KB, and on a virtualised CPU each fault is a costly trap: the bulk of
 * what `edge predict` costs over a minimal ONNX Runtime program. This constructor runs before main and, for that
 * zero-filled part of its own module, asks for transparent huge pages (where a 2 MB-aligned stretch fits) and then
 * populates the whole range in one call (MADV_POPULATE_WRITE, Linux 5.14), so rehydration writes to memory that is
 * already there. Neither call can fail the program: the huge-page advice does nothing where THP is set to "never", and
 * on a kernel before 5.14 (or without THP) the calls fail and rehydration faults page by page as before.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

/* Linux 5.14; older C library headers lack the name. */
#ifdef MADV_POPULATE_WRITE
#define EDGE_MADV_POPULATE_WRITE MADV_POPULATE_WRITE
#else
#define EDGE_MADV_POPULATE_WRITE 23
#endif

static void edge_advise_hugepages(void);

/* Called for each loaded module; acts on the one holding this code (the executable) and stops there. */
static int advise_own_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    uintptr_t self = (uintptr_t)&edge_advise_hugepages;
    int mine = 0;
    for (int i = 0; i < info->dlpi_phnum; i++)
    {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + p->p_vaddr;
        if (p->p_type == PT_LOAD && self >= start && self < start + p->p_memsz)
        {
            mine = 1;
        }
    }

    if (!mine)
    {
        return 0;
    }

    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++)
    {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type == PT_LOAD && (p->p_flags & PF_W) && p->p_memsz > p->p_filesz)
        {
            /* The zero-filled tail (.bss, .hydrated): anonymous memory from the first page past the file's bytes. */
            uintptr_t start = (info->dlpi_addr + p->p_vaddr + p->p_filesz + page - 1) & ~(page - 1);
            uintptr_t end = (info->dlpi_addr + p->p_vaddr + p->p_memsz + page - 1) & ~(page - 1);
            if (end > start)
            {
                (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
                (void)madvise((void *)start, end - start, EDGE_MADV_POPULATE_WRITE);
            }
        }
    }

    return 1;
}

__attribute__((constructor)) static void edge_advise_hugepages(void)
{
    (void)dl_iterate_phdr(advise_own_module, NULL);
}
