import CMallocTuning

/// The process heap's settings, applied first thing by each long-running tool.
public enum HeapTuning {
    /// Applies the settings. At most two malloc arenas: glibc gives each thread that meets
    /// contention an arena of its own, up to eight per core, and keeps what every arena once
    /// held, so a tool with many threads (connections, producer, encoders) keeps far more
    /// resident than it uses. (`MALLOC_ARENA_MAX` in the environment does the same before any
    /// allocation.)
    ///
    /// And blocks of a megabyte or more (a batch's rows, results and messages) mapped on their
    /// own: glibc otherwise raises its mapping threshold each time such a block is freed, after
    /// which they come from the arenas and leave holes there that a long run never gives back.
    public static func apply(mallocArenas arenas: Int32 = 2) {
        _ = elasticc_limit_malloc_arenas(arenas)
        _ = elasticc_fix_mmap_threshold(1 << 20)
    }

    /// Returns the arenas' free pages to the system. For a long run between batches: the
    /// pages freed inside an arena otherwise stay resident.
    public static func releaseFreeMemory() {
        _ = elasticc_release_free_heap()
    }
}
