import CMallocTuning

/// The process heap's settings, applied first thing by each long-running tool.
public enum HeapTuning {
    /// At most two malloc arenas. glibc gives each thread that meets contention its own 64 MB
    /// arena, up to eight per core, and keeps what every arena once held: alert-sender's
    /// threads (five connections, the producer, the encoders) kept eleven arenas resident,
    /// 954 MB at 10⁷ alerts. With two: 314 → 193 MB at 10⁶ alerts, and no slower.
    /// (`MALLOC_ARENA_MAX` in the environment does the same before any allocation.)
    public static func limitMallocArenas(to arenas: Int32 = 2) {
        _ = elasticc_limit_malloc_arenas(arenas)
    }
}
