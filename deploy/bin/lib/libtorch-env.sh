# Process settings for a JVM that runs libtorch, each measured in docs/BENCHMARKS.md ("OpenMP wait policy", "The
# first-round slowness", "tcmalloc"). Sourced by deploy/bin's scripts; a value already in the caller's environment wins.

# Exports the OpenMP and glibc malloc settings.
libtorch_env() {
    # libtorch's OpenMP threads spin between ops by default; beside other threads on a small or shared machine that
    # made a training step ~3x slower
    export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
    # under glibc's malloc: otherwise each large tensor is mapped and unmapped afresh until glibc's adaptive threshold
    # catches up, and a JVM's first training run paid the page faults (~1.6x slower per step)
    export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-33554432}"
    export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-4294967296}"
}

# Prints the LD_PRELOAD to start a libtorch JVM with. VBANK_ALLOCATOR=auto (the default) preloads tcmalloc where the
# machine has it (Debian, Ubuntu: apt-get install libtcmalloc-minimal4; a bf16 training step took ~0.75x the time it
# takes under glibc's malloc, fp32 ~0.9x), =tcmalloc requires it, =glibc keeps glibc's malloc. A caller's own
# LD_PRELOAD is printed unchanged. Fails, saying why, on an unknown value or a missing required tcmalloc.
libtorch_preload() {
    local allocator="${VBANK_ALLOCATOR:-auto}" lib
    case "$allocator" in
        auto|tcmalloc|glibc) ;;
        *) echo "VBANK_ALLOCATOR must be auto, tcmalloc or glibc, not '$allocator'" >&2; return 1 ;;
    esac
    if [[ -n "${LD_PRELOAD:-}" || "$allocator" == glibc ]]; then
        printf '%s' "${LD_PRELOAD:-}"
        return 0
    fi
    for lib in /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 /usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4 \
               /usr/lib64/libtcmalloc_minimal.so.4 /usr/lib/libtcmalloc_minimal.so.4; do
        if [[ -f "$lib" ]]; then
            printf '%s' "$lib"
            return 0
        fi
    done
    if [[ "$allocator" == tcmalloc ]]; then
        echo "VBANK_ALLOCATOR=tcmalloc, but no libtcmalloc_minimal.so.4 is installed (apt-get install libtcmalloc-minimal4)" >&2
        return 1
    fi
}

# For a script that then execs its libtorch JVM itself: exports the settings and the preload, and says which allocator.
libtorch_exec_env() {
    libtorch_env
    LD_PRELOAD="$(libtorch_preload)" || return 1
    export LD_PRELOAD
    echo "allocator: ${LD_PRELOAD:-glibc malloc}" >&2
}
